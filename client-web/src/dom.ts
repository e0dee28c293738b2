// The pages' elements by id, of the type the code expects (a missing one is a bug of the page).

export function byId<T extends Element>(id: string, type: new () => T): T {
  const e = document.getElementById(id);
  if (!(e instanceof type)) throw new Error(`#${id} is missing`);
  return e;
}
