// Page parameters: `?room=demo&token=<invite token>&name=Ana`. The token (from an invite link)
// says the role; the page never chooses it, and takes it out of the address once read.

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

export interface PageStart {
  config: PageConfig;
  /** The query to show instead (`?room=demo&name=Ana`), without the token; null: keep it. */
  cleanSearch: string | null;
}

/**
 * The page's parameters from its query, with the token taken out of the address: the address
 * bar shows it to anyone near the screen, and screenshots and copied links carry it. When the
 * query has no token (a reload after it was taken out), the one this tab kept for the room.
 */
export function startConfig(search: string, keptToken: (room: string) => string | null): PageStart {
  const config = parseConfig(search);
  const q = new URLSearchParams(search);
  const hadToken = q.has('token');
  q.delete('token');
  const rest = q.toString();
  return {
    config: config.token === '' ? { ...config, token: keptToken(config.room) ?? '' } : config,
    cleanSearch: hadToken ? (rest === '' ? '' : `?${rest}`) : null,
  };
}

/** Where a tab keeps a room's token (sessionStorage: this tab only, gone when it closes). */
function tokenKey(room: string): string {
  return `spotter.token.${room}`;
}

/**
 * `startConfig` on this page: keeps the token in the tab's sessionStorage (under `keyFor` of
 * the room), cleans the address.
 */
export function takePageConfig(keyFor: (room: string) => string = tokenKey): PageConfig {
  const storage = sessionStorageOrNull();
  const { config, cleanSearch } = startConfig(location.search, (room) => storage?.getItem(keyFor(room)) ?? null);
  if (config.token !== '') {
    try {
      storage?.setItem(keyFor(config.room), config.token);
    } catch {
      // Storage full or refused: a reload will need the invite link again.
    }
  }
  if (cleanSearch !== null) history.replaceState(null, '', `${location.pathname}${cleanSearch}${location.hash}`);
  return config;
}

/** Null where the browser refuses storage (reading `sessionStorage` throws then). */
function sessionStorageOrNull(): Storage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

/** The signaling URL for a page at `location`: `ws(s)://<host>/ws`. */
export function signalingUrl(location: { protocol: string; host: string }): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
}
