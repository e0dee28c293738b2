// Page parameters: `?room=demo&token=<invite token>&name=Ana`. The token (from an invite link)
// says the role; the page never chooses it.

export interface PageConfig {
  room: string;
  /** The access token of the invite; empty when the link has none (the server says so). */
  token: string;
  name: string;
}

export function parseConfig(search: string): PageConfig {
  const q = new URLSearchParams(search);
  const get = (key: string, fallback: string) => {
    const v = q.get(key)?.trim();
    return v === undefined || v === '' ? fallback : v;
  };
  return { room: get('room', 'demo'), token: get('token', ''), name: get('name', 'Expert') };
}

/** The signaling URL for a page at `location`: `ws(s)://<host>/ws`. */
export function signalingUrl(location: { protocol: string; host: string }): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
}
