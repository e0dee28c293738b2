// What each role may do on this page, mirroring `protocol/src/role.rs` (the server checks
// again; this only decides what the page offers).
import type { Role } from './generated/protocol';

/** Draw and delete marks. Before joining (role unknown) the tools are shown. */
export function mayAnnotate(role: Role | null): boolean {
  return role === null || role === 'expert';
}

/** Send a microphone (the page's roles: only experts; the headset talks too). */
export function talks(role: Role | null): boolean {
  return role === 'expert';
}

/** Start and stop the room's recording. */
export function mayRecord(role: Role | null): boolean {
  return role === 'expert' || role === 'technician';
}
