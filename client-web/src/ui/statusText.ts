// What the status line says, from the connection's facts (pure).
import type { Role } from '../generated/protocol';
import type { StatusState } from './status';

export interface ConnectionFacts {
  socket: 'connecting' | 'open' | 'closed';
  /** Set once the socket closed. */
  close: { code: number; reason: string; wasOpen: boolean } | null;
  /** The server's error when joining failed. */
  joinError: string | null;
  joined: boolean;
  /** performance.now() of the next attempt to reconnect, while the connection is lost. */
  reconnectAt: number | null;
  /** The role the invite gave, once joined. */
  role: Role | null;
  room: string;
  name: string;
  peer: RTCPeerConnectionState | 'none';
  /** performance.now() of the last displayed video frame, null before the first. */
  lastFrameAt: number | null;
  /** performance.now() of the last frame matched with its camera data, null before the first. */
  lastMatchedAt: number | null;
  /** performance.now() when the page joined, null before. */
  joinedAt: number | null;
  /** Whether the expert froze the view (the video is paused on purpose). */
  frozen: boolean;
  now: number;
}

/** A frame gap longer than this means the video stalled. */
export const STALL_MS = 3000;
/** Waiting longer than this for the first frame is worth saying. */
export const NO_VIDEO_MS = 5000;

export function describeStatus(f: ConnectionFacts): { state: StatusState; text: string } {
  if (f.socket === 'closed' && f.reconnectAt !== null) {
    const inS = Math.max(0, Math.ceil((f.reconnectAt - f.now) / 1000));
    return {
      state: 'connecting',
      text: `Connection to the server lost — reconnecting${inS > 0 ? ` in ${inS} s` : '…'} (your marks are kept)`,
    };
  }
  if (f.socket === 'closed') {
    const c = f.close;
    const why = c ? ` (code ${c.code}${c.reason ? `: ${c.reason}` : ''})` : '';
    return {
      state: 'disconnected',
      text: c?.wasOpen
        ? `Disconnected from the server${why} — reload the page to reconnect.`
        : `Cannot reach the server${why} — reload the page to retry.`,
    };
  }
  if (!f.joined && f.joinError !== null) {
    return { state: 'disconnected', text: `Could not join room “${f.room}”: ${f.joinError}` };
  }
  if (f.socket === 'connecting') return { state: 'connecting', text: 'Connecting to the server…' };
  if (!f.joined) return { state: 'connecting', text: `Joining room “${f.room}”…` };
  const where = `Room “${f.room}” as ${f.name}`;
  if (f.peer === 'failed') {
    return { state: 'warning', text: `${where} — the video connection failed; reconnecting it…` };
  }
  if (f.peer === 'disconnected') {
    return { state: 'warning', text: `${where} — the video connection was interrupted…` };
  }
  if (f.peer === 'closed') return { state: 'warning', text: `${where} — the video connection closed.` };
  if (f.lastFrameAt === null) {
    const waited = f.joinedAt === null ? 0 : f.now - f.joinedAt;
    return {
      state: 'joined',
      text:
        waited > NO_VIDEO_MS
          ? `${where} — no video yet: is the technician's headset streaming?`
          : `${where} — joined, waiting for video…`,
    };
  }
  if (f.frozen) {
    return { state: 'frozen', text: `${where} — view frozen on one frame (live video paused)` };
  }
  if (f.now - f.lastFrameAt > STALL_MS) {
    return { state: 'warning', text: `${where} — the video has stalled.` };
  }
  if (f.lastMatchedAt === null || f.now - f.lastMatchedAt > STALL_MS) {
    return {
      state: 'warning',
      text: `${where} — video live, but no camera data for it: marks cannot be placed or drawn.`,
    };
  }
  return { state: 'live', text: `${where} — video live` };
}
