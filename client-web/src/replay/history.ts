// The room at any moment of a recording: its initial snapshot with the recording's journal
// events folded in, by the same reducer as the live page. A mark counts from the frame it was
// drawn on (a trainer who stops there sees it there), everything else from when it happened.
import type { JournalEvent, RoomSnapshot } from '../generated/protocol';
import { reduceEvent } from '../room/reduce';
import { EMPTY_ROOM, roomFromSnapshot, type RoomState } from '../room/state';
import type { MediaClock } from './clock';
import { upperBound } from './frameRecords';

/** Media time (ms) from which an event shows in the replay. */
export function eventMediaMs(event: JournalEvent, clock: MediaClock): number {
  const at = clock.msOfServerTime(event.at_ms);
  const c = event.change;
  return c.kind === 'mark_resolved' ? Math.min(at, clock.msOfRtp(c.annotation.frame_rtp_timestamp)) : at;
}

export class ReplayHistory {
  /** Media times of the events, ascending; `states[i]` is the room after the first i. */
  private readonly times: number[];
  private readonly states: RoomState[];

  constructor(initial: RoomSnapshot, events: readonly JournalEvent[], clock: MediaClock) {
    const timed = events
      .map((event) => ({ event, ms: eventMediaMs(event, clock) }))
      .sort((a, b) => a.ms - b.ms || a.event.seq - b.event.seq);
    this.times = timed.map((t) => t.ms);
    let state = roomFromSnapshot(initial);
    this.states = [state];
    for (const { event } of timed) this.states.push((state = reduceEvent(state, event)));
  }

  /** The room as it was at media time `ms`. */
  stateAt(ms: number): RoomState {
    // upperBound is at most times.length, the last index of states.
    return this.states[upperBound(this.times, ms)] ?? EMPTY_ROOM;
  }
}
