// Matches displayed video frames with their camera data and renders the overlay for exactly
// the frame on screen (requestVideoFrameCallback's rtpTimestamp → FrameMeta). While the view is
// frozen, the frame held on screen stays the displayed one.
import type { Annotation, FrameMeta } from '../generated/protocol';
import { FrameStore, rtp32 } from '../frames';
import { acceptsFrame } from './freeze';
import type { OverlayRenderer } from './renderer';

export interface Displayed {
  rtpTimestamp: number;
  frame: FrameMeta;
  /** performance.now() time the frame's last packet arrived, when the browser says. */
  receiveTime: number | null;
}

export interface FrameSample {
  rtpTimestamp: number | null;
  expectedDisplayTime: number;
  receiveTime: number | null;
  captureTime: number | null;
  /** The headset's capture time of the frame (µs since the Unix epoch), when its camera data was there. */
  headsetCaptureTimeUs: number | null;
  /** Whether camera data for the frame was found when it was displayed. */
  matched: boolean;
}

const MAX_SAMPLES = 600;

/** What the sync needs of the renderer. */
export type OverlayTarget = Pick<OverlayRenderer, 'render' | 'setAnnotations'>;

export class OverlaySync {
  readonly frames = new FrameStore(300);
  readonly samples: FrameSample[] = [];
  displayed: Displayed | null = null;
  lastFrameAt: number | null = null;
  lastMatchedAt: number | null = null;
  /** A displayed frame whose camera data had not arrived yet. */
  private waiting: { rtp: number; receiveTime: number | null } | null = null;
  /** performance.now() when the video was paused to freeze the view, null while live. */
  private frozenAt: number | null = null;

  constructor(
    private readonly renderer: OverlayTarget,
    private readonly rendered: (annotations: readonly Annotation[]) => void,
  ) {}

  private annotations: readonly Annotation[] = [];

  frameMeta(meta: FrameMeta): void {
    this.frames.insert(meta);
    const w = this.waiting;
    if (w?.rtp === rtp32(meta.rtp_timestamp)) {
      this.waiting = null;
      this.show({ rtpTimestamp: w.rtp, frame: meta, receiveTime: w.receiveTime });
    }
  }

  videoFrame(md: VideoFrameCallbackMetadata): void {
    this.lastFrameAt = performance.now();
    const rtp = md.rtpTimestamp === undefined ? null : rtp32(md.rtpTimestamp);
    const frame = rtp === null ? undefined : this.frames.get(rtp);
    const receiveTime = md.receiveTime ?? null;
    this.samples.push({
      rtpTimestamp: rtp,
      expectedDisplayTime: md.expectedDisplayTime,
      receiveTime,
      captureTime: md.captureTime ?? null,
      headsetCaptureTimeUs: frame?.capture_time_us ?? null,
      matched: frame !== undefined,
    });
    if (this.samples.length > MAX_SAMPLES) this.samples.splice(0, this.samples.length - MAX_SAMPLES);
    if (rtp === null || !acceptsFrame(this.frozenAt, md.presentationTime)) return;
    if (frame) {
      this.waiting = null;
      this.show({ rtpTimestamp: rtp, frame, receiveTime });
    } else {
      this.waiting = { rtp, receiveTime };
    }
  }

  get frozen(): boolean {
    return this.frozenAt !== null;
  }

  /** performance.now() when the view was frozen, null while live. */
  get frozenSince(): number | null {
    return this.frozenAt;
  }

  /**
   * Holds the displayed frame: call right after pausing the video, with the time of the pause.
   * Only a frame presented before then can still become the displayed one (see `acceptsFrame`).
   */
  freeze(pausedAt: number): void {
    this.frozenAt ??= pausedAt;
  }

  /** Live again: the next presented frame becomes the displayed one. */
  unfreeze(): void {
    this.frozenAt = null;
  }

  /**
   * The RTP timestamp of the frame a stroke starting now is drawn on: the displayed frame (held
   * while frozen), null while no frame with camera data is displayed.
   */
  strokeFrame(): number | null {
    return this.displayed?.rtpTimestamp ?? null;
  }

  setAnnotations(annotations: readonly Annotation[]): void {
    this.annotations = annotations;
    this.renderer.setAnnotations(annotations);
    this.render();
  }

  /** Renders again with the same frame (after a resize). */
  render(): void {
    this.renderer.render(this.displayed?.frame ?? null);
    if (this.displayed) this.rendered(this.annotations);
  }

  private show(displayed: Displayed): void {
    this.displayed = displayed;
    this.lastMatchedAt = performance.now();
    this.render();
  }
}
