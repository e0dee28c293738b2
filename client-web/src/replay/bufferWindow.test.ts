import { describe, expect, it } from 'vitest';
import { DEFAULT_WINDOW, bufferWindowFrom, groupsOf, planWindow, type MediaIndex } from './bufferWindow';

// An hour of 1 s fragments of 300 kB, after a 1 kB init segment, at 90 kHz, every one
// beginning on a keyframe (as a voice's do).
const index: MediaIndex = {
  init_bytes: 1000,
  timescale: 90_000,
  fragments: Array.from({ length: 3600 }, (_, i): [number, number, number, number, number] => [1000 + i * 300_000, 300_000, i * 90_000, 90_000, 1]),
};
const groups = groupsOf(index);
const window = { ahead: 10, behind: 4 };

describe('the buffer window', () => {
  it('reads the index into seconds and byte ranges', () => {
    expect(groups[0]).toEqual({ offset: 1000, bytes: 300_000, start: 0, end: 1 });
    expect(groups[3599]).toEqual({ offset: 1000 + 3599 * 300_000, bytes: 300_000, start: 3599, end: 3600 });
  });

  it('holds video by keyframe groups: a fragment that does not begin on a keyframe joins the one before', () => {
    // A keyframe every 4 s, fragments of 1 s; the first fragment begins one whatever its flag.
    const video: MediaIndex = {
      init_bytes: 700,
      timescale: 90_000,
      fragments: Array.from({ length: 10 }, (_, i): [number, number, number, number, number] => [
        700 + i * 1000,
        1000,
        i * 90_000,
        90_000,
        i % 4 === 0 && i > 0 ? 1 : 0,
      ]),
    };
    expect(groupsOf(video)).toEqual([
      { offset: 700, bytes: 4000, start: 0, end: 4 },
      { offset: 4700, bytes: 4000, start: 4, end: 8 },
      { offset: 8700, bytes: 2000, start: 8, end: 10 },
    ]);
    // Playing at 5 s with 1 s ahead holds the group under the playhead, the first is dropped.
    expect(planWindow(groupsOf(video), new Set([0]), 5, { ahead: 1, behind: 0.5 })).toEqual({ load: [1], evict: [0] });
  });

  it('fetches the fragment under the playhead first, then those ahead up to the window', () => {
    const plan = planWindow(groups, new Set(), 125.5, window);
    expect(plan.load).toEqual([125, 126, 127, 128, 129, 130, 131, 132, 133, 134, 135]);
    expect(plan.evict).toEqual([]);
  });

  it('holds about the window however long the recording, dropping what falls behind', () => {
    const held = new Set<number>();
    // Playing through the whole hour, a tenth of a second at a time.
    let most = 0;
    for (let t = 0; t < 3600; t += 0.1) {
      const plan = planWindow(groups, held, t, window);
      for (const i of plan.evict) held.delete(i);
      for (const i of plan.load) held.add(i);
      most = Math.max(most, held.size);
    }
    // The window's 14 s and the groups it cuts into at each end.
    expect(most).toBeLessThanOrEqual(window.ahead + window.behind + 2);
    expect(held.has(3599)).toBe(true);
    expect(held.has(0)).toBe(false);
  });

  it('after a seek far back, fetches there and drops what it held ahead', () => {
    const held = new Set([3000, 3001, 3002, 3003]);
    const plan = planWindow(groups, held, 60, window);
    expect(plan.load[0]).toBe(60);
    expect(plan.evict).toEqual([3000, 3001, 3002, 3003]);
  });

  it('at or past the end, holds the last fragment so its last frame shows', () => {
    expect(planWindow(groups, new Set(), 3600, window).load).toEqual([3599]);
    expect(planWindow(groups, new Set([3599]), 3600, window).load).toEqual([]);
  });

  it('takes the window from the address, and refuses nonsense', () => {
    expect(bufferWindowFrom('?buffer=6')).toEqual({ ahead: 6, behind: 2 });
    for (const search of ['', '?buffer=', '?buffer=0', '?buffer=-5', '?buffer=lots']) {
      expect(bufferWindowFrom(search)).toEqual(DEFAULT_WINDOW);
    }
  });
});
