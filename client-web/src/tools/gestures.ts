// Pointer gestures on the stage: pointerdown inside the displayed video starts one, remembering
// the frame displayed at that moment (the one the expert aimed at); pointerup ends it.
import type { AnnotationKind } from '../generated/protocol';
import { toNormalized, toNormalizedClamped, type Rect } from '../overlay/layout';
import type { LocalCode } from '../ui/errorText';
import type { PointerSample, Tool } from './tool';

export interface GestureHost {
  tool(): Tool;
  /** The displayed video rectangle in page CSS pixels, null while there is none. */
  videoRect(): Rect | null;
  /** The RTP timestamp of the displayed frame that has camera data, null while none. */
  displayedRtp(): number | null;
  send(kind: AnnotationKind, points: [number, number][], frameRtp: number): void;
  notice(code: LocalCode): void;
  /** Shows the drag line from `from` to `to` (page CSS pixels), or hides it with null. */
  preview(line: { from: [number, number]; to: [number, number] } | null): void;
}

interface Active {
  pointerId: number;
  tool: Tool;
  down: PointerSample;
  frameRtp: number;
}

export class Gestures {
  private active: Active | null = null;

  constructor(
    private readonly target: HTMLElement,
    private readonly host: GestureHost,
  ) {
    target.addEventListener('pointerdown', (ev) => this.down(ev));
    target.addEventListener('pointermove', (ev) => this.move(ev));
    target.addEventListener('pointerup', (ev) => this.up(ev));
    target.addEventListener('pointercancel', () => this.cancel());
  }

  cancel(): void {
    this.active = null;
    this.host.preview(null);
  }

  private down(ev: PointerEvent): void {
    if (ev.button !== 0 || this.active) return;
    const rect = this.host.videoRect();
    const norm = rect ? toNormalized(rect, ev.clientX, ev.clientY) : null;
    if (!norm) return; // Outside the video: ignored.
    const frameRtp = this.host.displayedRtp();
    if (frameRtp === null) {
      this.host.notice('no_frame');
      return;
    }
    ev.preventDefault();
    try {
      this.target.setPointerCapture(ev.pointerId);
    } catch {
      // A synthetic event's pointer cannot be captured; the gesture still works without.
    }
    this.active = {
      pointerId: ev.pointerId,
      tool: this.host.tool(),
      down: { client: [ev.clientX, ev.clientY], norm },
      frameRtp,
    };
  }

  private move(ev: PointerEvent): void {
    const a = this.active;
    if (a?.pointerId !== ev.pointerId || !a.tool.previewsLine) return;
    const to = this.clampedClient(ev);
    if (to) this.host.preview({ from: [a.down.client[0], a.down.client[1]], to });
  }

  private up(ev: PointerEvent): void {
    const a = this.active;
    if (a?.pointerId !== ev.pointerId) return;
    this.cancel();
    const rect = this.host.videoRect();
    if (!rect) return;
    const up: PointerSample = {
      client: [ev.clientX, ev.clientY],
      norm: toNormalizedClamped(rect, ev.clientX, ev.clientY),
    };
    const outcome = a.tool.finish(a.down, up);
    if ('send' in outcome) this.host.send(a.tool.kind, outcome.send, a.frameRtp);
    else if (outcome.skip) this.host.notice(outcome.skip);
  }

  /** The pointer position moved onto the video rectangle. */
  private clampedClient(ev: PointerEvent): [number, number] | null {
    const rect = this.host.videoRect();
    if (!rect) return null;
    const [u, v] = toNormalizedClamped(rect, ev.clientX, ev.clientY);
    return [rect.x + u * rect.width, rect.y + v * rect.height];
  }
}
