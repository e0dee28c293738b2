// The timeline beside the video: one button per event (clicking seeks there), the entry at
// the playhead highlighted, and ticks on the seek bar where events happened.
import { formatMediaTime } from './format';
import type { TimelineEntry } from './timeline';

export class TimelineView {
  private items: HTMLElement[] = [];
  private entries: readonly TimelineEntry[] = [];
  private current = -1;

  constructor(
    private readonly list: HTMLElement,
    private readonly ticks: HTMLElement,
    private readonly count: HTMLElement,
    private readonly seek: (ms: number) => void,
  ) {}

  show(entries: readonly TimelineEntry[], durationMs: number): void {
    this.entries = entries;
    this.current = -1;
    this.items = entries.map((entry) => {
      const li = document.createElement('li');
      li.className = 'timeline-entry';
      li.dataset.kind = entry.kind;
      if (entry.seq !== null) li.dataset.seq = String(entry.seq);
      if (entry.annotationId !== null) li.dataset.annotation = entry.annotationId;
      const button = document.createElement('button');
      button.type = 'button';
      const time = document.createElement('time');
      time.textContent = formatMediaTime(entry.seekMs);
      const text = document.createElement('span');
      text.textContent = entry.text;
      button.append(time, text);
      button.addEventListener('click', () => this.seek(entry.seekMs));
      li.append(button);
      return li;
    });
    this.list.replaceChildren(...this.items);
    this.count.textContent = String(entries.length);
    this.ticks.replaceChildren(
      ...entries.map((entry) => {
        const tick = document.createElement('span');
        tick.className = 'tick';
        tick.dataset.kind = entry.kind;
        tick.style.left = `${durationMs > 0 ? Math.min(100, Math.max(0, (entry.seekMs / durationMs) * 100)) : 0}%`;
        return tick;
      }),
    );
  }

  /** Highlights the last entry at or before `ms`. */
  at(ms: number): void {
    let i = -1;
    for (let j = 0; j < this.entries.length && (this.entries[j]?.ms ?? Infinity) <= ms; j++) i = j;
    if (i === this.current) return;
    this.items[this.current]?.removeAttribute('aria-current');
    this.items[i]?.setAttribute('aria-current', 'true');
    this.current = i;
  }
}
