// The stage: the video (object-fit: contain) and the overlay canvas kept exactly over the
// rectangle the frame is displayed in, through resizes of the window and of the video.
import { containRect, offsetRect, type Rect } from './overlay/layout';

export class Stage {
  constructor(
    readonly root: HTMLElement,
    readonly video: HTMLVideoElement,
    private readonly overlay: HTMLCanvasElement,
    private readonly onLayout: (rect: Rect | null) => void,
  ) {
    const relayout = () => this.layout();
    new ResizeObserver(relayout).observe(root);
    video.addEventListener('resize', relayout);
    video.addEventListener('loadedmetadata', relayout);
    window.addEventListener('resize', relayout);
  }

  /** The displayed video rectangle in page (viewport) CSS pixels, null before the video has a size. */
  videoRect(): Rect | null {
    const box = this.video.getBoundingClientRect();
    const rect = containRect(box.width, box.height, this.video.videoWidth, this.video.videoHeight);
    return rect ? offsetRect(rect, box.left, box.top) : null;
  }

  layout(): void {
    const rect = this.videoRect();
    const root = this.root.getBoundingClientRect();
    if (rect) {
      this.overlay.style.left = `${rect.x - root.left}px`;
      this.overlay.style.top = `${rect.y - root.top}px`;
      this.overlay.style.display = '';
    } else {
      this.overlay.style.display = 'none';
    }
    this.root.classList.toggle('has-video', rect !== null);
    this.onLayout(rect);
  }
}
