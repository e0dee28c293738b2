// Page parameters: `?room=demo&role=expert&name=Ana`.
import type { Role } from './generated/protocol';

/**
 * The roles this page may join as. Never `technician`: a room has one technician slot, and it
 * belongs to the headset.
 */
export type PageRole = Exclude<Role, 'technician'>;

export interface PageConfig {
  room: string;
  role: PageRole;
  name: string;
  /**
   * Set when the `role` parameter was not a role this page may take (unknown, or `technician`);
   * the page then joins as expert.
   */
  badRole: string | null;
}

const PAGE_ROLES: readonly PageRole[] = ['expert', 'observer', 'trainer'];

function isPageRole(s: string): s is PageRole {
  return (PAGE_ROLES as readonly string[]).includes(s);
}

export function parseConfig(search: string): PageConfig {
  const q = new URLSearchParams(search);
  const get = (key: string, fallback: string) => {
    const v = q.get(key)?.trim();
    return v === undefined || v === '' ? fallback : v;
  };
  const room = get('room', 'demo');
  const name = get('name', 'Expert');
  const role = get('role', 'expert');
  return isPageRole(role)
    ? { room, role, name, badRole: null }
    : { room, role: 'expert', name, badRole: role };
}

/** The signaling URL for a page at `location`: `ws(s)://<host>/ws`. */
export function signalingUrl(location: { protocol: string; host: string }): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
}
