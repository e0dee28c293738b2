// The Freeze control: pauses the video so the expert can draw on a still frame, with the overlay
// held on that frame's camera data; resuming plays the live video again.
import { frozenBadge } from '../overlay/freeze';
import type { OverlaySync } from '../overlay/sync';

export class FreezeControl {
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly title = document.createElement('strong');
  private readonly detail = document.createElement('small');

  constructor(
    private readonly button: HTMLButtonElement,
    private readonly badge: HTMLElement,
    private readonly stage: HTMLElement,
    private readonly video: HTMLVideoElement,
    private readonly sync: OverlaySync,
    private readonly changed: () => void,
  ) {
    this.title.className = 'frozen-title';
    this.detail.className = 'frozen-detail';
    badge.replaceChildren(this.title, this.detail);
    button.addEventListener('click', () => this.toggle());
    this.show();
  }

  get frozen(): boolean {
    return this.sync.frozen;
  }

  toggle(): void {
    if (this.frozen) this.unfreeze();
    else this.freeze();
  }

  freeze(): void {
    if (this.frozen) return;
    this.video.pause();
    // After the pause: every frame presented before this time may be the one held on screen.
    this.sync.freeze(performance.now());
    this.timer = setInterval(() => this.showBadge(), 500);
    this.show();
  }

  unfreeze(): void {
    if (!this.frozen) return;
    this.sync.unfreeze();
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.video.play().catch(() => {
      // Muted playback is allowed; a refusal leaves the video paused until a click.
    });
    this.show();
  }

  private show(): void {
    const frozen = this.frozen;
    this.button.setAttribute('aria-pressed', String(frozen));
    this.button.title = frozen ? 'Resume the live video (F)' : 'Freeze the video to draw on a still frame (F)';
    this.stage.dataset.frozen = String(frozen);
    this.badge.hidden = !frozen;
    this.showBadge();
    this.changed();
  }

  private showBadge(): void {
    if (!this.frozen) return;
    // The frozen frame's age: since it arrived when the browser says, else since the freeze.
    const since = this.sync.displayed?.receiveTime ?? this.sync.frozenSince ?? performance.now();
    const { title, detail, stale } = frozenBadge(performance.now() - since);
    if (this.title.textContent !== title) this.title.textContent = title;
    if (this.detail.textContent !== detail) this.detail.textContent = detail;
    this.badge.dataset.stale = String(stale);
  }
}
