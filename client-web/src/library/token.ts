// The library's credential: a trainer's invite token (or the admin key) from `?token=`, taken
// out of the address like the live page's (see config.ts) and kept for this tab only.
import { sessionStorageOrNull } from '../config';

const KEY = 'spotter.token.recordings';

export function takeLibraryToken(): string {
  const q = new URLSearchParams(location.search);
  const given = q.get('token')?.trim() ?? '';
  if (q.has('token')) {
    q.delete('token');
    const rest = q.toString();
    history.replaceState(null, '', `${location.pathname}${rest === '' ? '' : `?${rest}`}${location.hash}`);
  }
  const storage = sessionStorageOrNull();
  if (given !== '') {
    try {
      storage?.setItem(KEY, given);
    } catch {
      // Storage refused: a reload needs the link again.
    }
    return given;
  }
  return storage?.getItem(KEY) ?? '';
}

/** The recording a path names (`/recordings/r-…`), null for the library itself. */
export function recordingInPath(pathname: string): string | null {
  const m = /^\/recordings\/([^/]+)\/?$/.exec(pathname);
  return m?.[1] === undefined ? null : decodeURIComponent(m[1]);
}
