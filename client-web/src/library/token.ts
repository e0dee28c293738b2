// The library's credential: a trainer's invite token (or the admin key) from `?token=`, taken
// out of the address and kept for this tab exactly like the live page's (config.ts), under
// one key for the library whatever the room.
import { takePageConfig } from '../config';

export function takeLibraryToken(): string {
  return takePageConfig(() => 'spotter.token.recordings').token;
}

/** The recording a path names (`/recordings/r-…`), null for the library itself. */
export function recordingInPath(pathname: string): string | null {
  const m = /^\/recordings\/([^/]+)\/?$/.exec(pathname);
  return m?.[1] === undefined ? null : decodeURIComponent(m[1]);
}
