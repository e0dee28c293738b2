// The status line: one state (drives the colour) and a sentence.

export type StatusState = 'connecting' | 'joined' | 'live' | 'frozen' | 'warning' | 'disconnected';

export class StatusLine {
  private current: StatusState = 'connecting';

  constructor(
    private readonly root: HTMLElement,
    private readonly text: HTMLElement,
  ) {}

  get state(): StatusState {
    return this.current;
  }

  set(state: StatusState, text: string): void {
    this.current = state;
    this.root.dataset.state = state;
    this.text.textContent = text;
  }
}
