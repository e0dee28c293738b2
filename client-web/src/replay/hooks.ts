// `window.__spotterReplay`: read-only views of the player for end-to-end tests.
import type { Annotation } from '../generated/protocol';
import type { Rect } from '../overlay/layout';
import type { DrawnPosition } from '../overlay/renderer';
import type { MessageArea } from '../ui/messages';
import type { ReplayPlayer, ShownFrame } from './player';
import type { TimelineEntry } from './timeline';

export interface ReplayHooks {
  /** Whether the recording opened (false: a message says why). */
  readonly opened: boolean;
  /** The frame on screen: its media time, RTP timestamp and whether its record was found. */
  readonly shown: ShownFrame | null;
  /** The marks drawn now (none while hidden). */
  marks(): readonly Annotation[];
  drawnPositions(): readonly DrawnPosition[];
  videoRect(): Rect | null;
  readonly timeline: readonly TimelineEntry[];
  /** The loudest voice playing now, dBFS. */
  voiceLevel(): number;
  /** Milliseconds from each seek to its frame on screen. */
  readonly seekTimes: readonly number[];
  readonly frameRecords: number;
  /** How long the video plays, ms (a file cut by a crash plays up to its last whole fragment). */
  readonly durationMs: number;
  messages(): readonly { code: string; text: string }[];
}

declare global {
  interface Window {
    __spotterReplay?: ReplayHooks;
  }
}

export function installReplayHooks(player: ReplayPlayer | null, messages: MessageArea): void {
  window.__spotterReplay = {
    opened: player !== null,
    get shown() {
      return player?.shown ?? null;
    },
    marks: () => player?.shownMarks() ?? [],
    drawnPositions: () => player?.renderer.drawnPositions() ?? [],
    videoRect: () => player?.videoRect() ?? null,
    get timeline() {
      return player?.timeline ?? [];
    },
    voiceLevel: () => player?.voices.level() ?? -100,
    get seekTimes() {
      return player?.seekTimes ?? [];
    },
    frameRecords: player?.records.size ?? 0,
    get durationMs() {
      return player?.durationMs ?? 0;
    },
    messages: () => messages.list().map(({ code, text }) => ({ code, text })),
  };
}
