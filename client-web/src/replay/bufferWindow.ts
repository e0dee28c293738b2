// A recording longer than the browser's media buffer (Chromium's defaults, not measured here:
// about 150 MB of video, 8 minutes at 2.5 Mbit/s, and 12 MB of audio) still plays to its end: the player fetches the
// media around the playhead by the server's fragment index, and drops what is far behind it.
// It holds whole keyframe groups (a fragment that begins on a keyframe and those after it up to
// the next such): removing a keyframe would take every frame that depends on it, and a group
// decodes on its own after a seek. Fragments are about 1 s; a group is as long as the
// headset's keyframe interval (4 s of capture time), a voice's group one fragment.
import { openSource, settled } from './mediaSource';

/** What the server says of a media file's fragments (`GET /api/recordings/{id}`). */
export interface MediaIndex {
  init_bytes: number;
  timescale: number;
  /**
   * [byte offset, byte length, decode time, duration, begins on a keyframe (1) or not (0)]
   * each, times in `timescale` ticks, back to back in the file.
   */
  fragments: [number, number, number, number, number][];
}

/** A keyframe group: a byte range of the file and its time on the media timeline. */
export interface Group {
  offset: number;
  bytes: number;
  /** Seconds on the media timeline. */
  start: number;
  end: number;
}

/** How much of the recording the browser holds around the playhead, seconds. */
export interface BufferWindow {
  ahead: number;
  behind: number;
}

export const DEFAULT_WINDOW: BufferWindow = { ahead: 60, behind: 20 };

/** Less than any frame's duration, more than the browser's rounding of times. */
const EDGE_S = 0.001;

/**
 * The window from the page's address: `?buffer=S` holds S seconds ahead and a third of that
 * behind (for a device with little memory, and for tests); the default otherwise.
 */
export function bufferWindowFrom(search: string): BufferWindow {
  const ahead = Number(new URLSearchParams(search).get('buffer') ?? NaN);
  return Number.isFinite(ahead) && ahead >= 1 ? { ahead, behind: ahead / 3 } : DEFAULT_WINDOW;
}

/** The file's keyframe groups, in order (the first fragment begins one, whatever its flag). */
export function groupsOf(index: MediaIndex): Group[] {
  const groups: Group[] = [];
  for (const [offset, bytes, start, duration, keyframe] of index.fragments) {
    const end = (start + duration) / index.timescale;
    const last = groups.at(-1);
    if (last && keyframe === 0) {
      last.bytes = offset + bytes - last.offset;
      last.end = end;
    } else {
      groups.push({ offset, bytes, start: start / index.timescale, end });
    }
  }
  return groups;
}

export interface Plan {
  /** Groups to fetch, the one under the playhead first. */
  load: number[];
  /** Groups held that are outside the window. */
  evict: number[];
}

/** The first group ending after `t` (`groups.length` if none): they are in time order. */
function firstEndingAfter(groups: readonly Group[], t: number): number {
  let [lo, hi] = [0, groups.length];
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((groups[mid]?.end ?? Infinity) > t) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** What to fetch and what to drop with the playhead at `t` seconds. */
export function planWindow(groups: readonly Group[], held: ReadonlySet<number>, t: number, w: BufferWindow): Plan {
  const load: number[] = [];
  for (let i = firstEndingAfter(groups, t); i < groups.length && (groups[i]?.start ?? Infinity) <= t + w.ahead; i++) {
    if (!held.has(i)) load.push(i);
  }
  const kept = (f: Group | undefined) => f !== undefined && f.end > t - w.behind && f.start <= t + w.ahead;
  const evict = [...held].filter((i) => !kept(groups[i])).sort((a, b) => a - b);
  // Past the end, the last group (a seek to the very end shows its last frame).
  const last = groups.length - 1;
  if (load.length === 0 && last >= 0 && t >= (groups[last]?.end ?? 0) && !held.has(last)) load.push(last);
  return { load, evict };
}

function isQuotaExceeded(e: unknown): boolean {
  return e instanceof DOMException && e.name === 'QuotaExceededError';
}

/** Reads `bytes` bytes of the file from `offset`. */
export type FetchBytes = (offset: number, bytes: number) => Promise<Uint8Array<ArrayBuffer>>;

/**
 * A media element fed the keyframe groups of one file around its playhead: on every seek
 * and as it plays, the missing groups ahead are fetched one at a time and those far behind
 * are removed.
 */
export class WindowedMedia {
  private readonly held = new Set<number>();
  private busy = false;
  private stopped = false;

  private constructor(
    private readonly element: HTMLMediaElement,
    private readonly source: MediaSource,
    private readonly buffer: SourceBuffer,
    private readonly groups: readonly Group[],
    private readonly fetchBytes: FetchBytes,
    private window: BufferWindow,
    private readonly notice: (text: string) => void,
  ) {
    for (const event of ['seeking', 'timeupdate', 'playing', 'waiting']) element.addEventListener(event, () => void this.fill());
  }

  /** Attaches a MediaSource of `type` to `element`, appends the init segment and the first groups. */
  static async open(
    element: HTMLMediaElement,
    type: string,
    index: MediaIndex,
    fetchBytes: FetchBytes,
    window: BufferWindow,
    notice: (text: string) => void,
  ): Promise<WindowedMedia> {
    const { source, buffer } = await openSource(element, type);
    const init = await fetchBytes(0, index.init_bytes);
    await settled(buffer, () => buffer.appendBuffer(init));
    const groups = groupsOf(index);
    // The whole length, though only a window of it is ever held: the element seeks anywhere.
    const end = groups.at(-1)?.end;
    if (end !== undefined) source.duration = end;
    const media = new WindowedMedia(element, source, buffer, groups, fetchBytes, window, notice);
    // The first picture as soon as its group is in; the rest of the window meanwhile.
    await media.fill(1);
    void media.fill();
    return media;
  }

  /**
   * Brings the held groups to the window around the playhead. A call while it runs does
   * nothing: the running one plans again after each fragment, from the playhead then.
   */
  async fill(most = Infinity): Promise<void> {
    if (this.busy || this.stopped) return;
    this.busy = true;
    try {
      await this.step(most);
    } catch (e) {
      this.stopped = true;
      this.notice(`Part of this recording cannot be played: ${e instanceof Error ? e.message : String(e)}.`);
    } finally {
      this.busy = false;
    }
  }

  /** Fetches up to `most` groups, planning again before each. */
  private async step(most: number): Promise<void> {
    for (let fetched = 0; fetched < most; fetched++) {
      this.forgetWhatTheBrowserDropped();
      const plan = planWindow(this.groups, this.held, this.element.currentTime, this.window);
      for (const i of plan.evict) await this.remove(i);
      const next = plan.load[0];
      if (next === undefined) {
        this.endIfComplete();
        return;
      }
      const f = this.groups[next];
      if (!f) return;
      const data = await this.fetchBytes(f.offset, f.bytes);
      const playhead = this.element.currentTime;
      const underPlayhead = f.start <= playhead && playhead < f.end && !this.buffered(playhead);
      try {
        await this.append(data);
      } catch (e) {
        if (!isQuotaExceeded(e)) throw e;
        // The browser holds less than the window: hold less from now on, and try again.
        const smaller = { ahead: Math.max(2, this.window.ahead / 2), behind: Math.max(1, this.window.behind / 2) };
        if (smaller.ahead === this.window.ahead && smaller.behind === this.window.behind) throw e;
        this.window = smaller;
        this.notice(`The browser holds only ${smaller.ahead.toFixed(0)} s of this recording ahead of the playhead.`);
        fetched--;
        continue;
      }
      this.held.add(next);
      // Chromium lands a seek to a time not yet buffered, shortly before a buffered range, on
      // that range's first frame (seen: a click on a mark 0.17 s before the next held group
      // showed the group's keyframe). Seeking again once the group is in shows the right one,
      // unless the playhead moved meanwhile (a newer seek is the one that counts).
      if (underPlayhead && this.element.currentTime === playhead) this.element.currentTime = playhead;
    }
  }

  /** Whether the browser holds the media at `t` seconds. */
  private buffered(t: number): boolean {
    const ranges = this.buffer.buffered;
    for (let r = 0; r < ranges.length; r++) if (ranges.start(r) <= t && t < ranges.end(r)) return true;
    return false;
  }

  private async append(data: Uint8Array<ArrayBuffer>): Promise<void> {
    await settled(this.buffer, () => this.buffer.appendBuffer(data));
  }

  private async remove(i: number): Promise<void> {
    const f = this.groups[i];
    if (!f) return;
    // Short of the next group's keyframe by a millisecond: a removal reaching past that
    // keyframe takes every frame up to the keyframe after it, and the browser keeps times in
    // microseconds, not in the 90 kHz ticks these ends come from.
    await settled(this.buffer, () => this.buffer.remove(f.start, Math.max(f.start, f.end - EDGE_S)));
    this.held.delete(i);
  }

  /**
   * The browser may drop buffered media by itself (to make room for an append): a group
   * whose middle is no longer buffered is fetched again when the window reaches it.
   */
  private forgetWhatTheBrowserDropped(): void {
    for (const i of this.held) {
      const f = this.groups[i];
      if (f && !this.buffered((f.start + f.end) / 2)) this.held.delete(i);
    }
  }

  /** With the last group held, the media ends there (else the element waits for more). */
  private endIfComplete(): void {
    const last = this.groups.length - 1;
    if (this.held.has(last) && this.source.readyState === 'open' && !this.buffer.updating) this.source.endOfStream();
  }
}
