// `window.__spotter`: read-only views of the page's state for end-to-end tests.
import type { Annotation } from './generated/protocol';
import type { Rect } from './overlay/layout';
import type { DrawnPosition } from './overlay/renderer';
import type { Displayed, FrameSample } from './overlay/sync';
import type { Recording } from './room/state';
import type { RoundTrip } from './session/roundTrips';
import type { VideoInbound } from './peer';

export interface Timing {
  /** performance.now() when the page's script started. */
  pageOpen: number;
  /** performance.now() of the first displayed video frame (null before it). */
  firstFrame: number | null;
  /** One entry per annotate request: pointerup → accepted → added → drawn. */
  roundTrips: readonly RoundTrip[];
}

export interface SpotterHooks {
  readonly displayed: Displayed | null;
  annotations(): readonly Annotation[];
  /** The recording the room is making (who started it, when), null while it is not recording. */
  readonly recording: Recording | null;
  framesDecoded(): Promise<number>;
  /** The received video's counters: decoded frames, lost packets, NACKs, retransmissions. */
  videoInbound(): Promise<VideoInbound | null>;
  /** Mean jitter-buffer wait of the voices received (ms), null before any. */
  voiceJitterBufferMs(): Promise<number | null>;
  /** 'udp' or 'tcp': how the media connection reaches the server. */
  transport(): Promise<string | null>;
  videoRect(): Rect | null;
  readonly overlayCanvas: HTMLCanvasElement;
  drawnPositions(): readonly DrawnPosition[];
  messages(): readonly { code: string; text: string }[];
  readonly timing: Timing;
  /** requestVideoFrameCallback samples, the last 600. */
  readonly samples: readonly FrameSample[];
  readonly participantId: string | null;
  /** Whether the expert froze the view (video paused, overlay and strokes on the held frame). */
  readonly frozen: boolean;
  /** The loudest remote voice now, dBFS. */
  heardLevel(): number;
  /** Starts noting when remote voices begin after a pause; `voiceOnsets` lists them. */
  logVoiceOnsets(): void;
  /** Wall-clock ms (performance.timeOrigin-based) of the voice onsets noted, oldest first. */
  voiceOnsets(): readonly number[];
  /** This page's microphone level now, dBFS (silence when muted). */
  micLevel(): number;
  readonly muted: boolean;
}

declare global {
  interface Window {
    __spotter?: SpotterHooks;
  }
}

export function installTestHooks(hooks: SpotterHooks): void {
  window.__spotter = hooks;
}
