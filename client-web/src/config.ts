// Page parameters: `?room=demo&role=expert&name=Ana`.
import type { Role } from './generated/protocol';

export interface PageConfig {
  room: string;
  role: Role;
  name: string;
  /** Set when the `role` parameter was not a known role (the page then joins as expert). */
  badRole: string | null;
}

const ROLES: readonly Role[] = ['technician', 'expert', 'observer', 'trainer'];

function isRole(s: string): s is Role {
  return (ROLES as readonly string[]).includes(s);
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
  return isRole(role)
    ? { room, role, name, badRole: null }
    : { room, role: 'expert', name, badRole: role };
}

/** The signaling URL for a page at `location`: `ws(s)://<host>/ws`. */
export function signalingUrl(location: { protocol: string; host: string }): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
}
