// The toolbar: tool buttons, the colour, and the keyboard shortcuts.
import type { Tool } from '../tools/tool';

export interface ToolbarActions {
  toolChanged(tool: Tool): void;
  deleteSelected(): void;
  escape(): void;
  /** Freezes the view, or resumes the live video. */
  toggleFreeze(): void;
  /** Mutes or unmutes the microphone. */
  toggleMute(): void;
}

/** The keyboard shortcut of the Freeze toggle, lower case. */
export const FREEZE_KEY = 'f';
/** The keyboard shortcut of the microphone's mute toggle, lower case. */
export const MUTE_KEY = 'm';

export class Toolbar {
  private current: Tool;

  constructor(
    private readonly root: HTMLElement,
    private readonly colorInput: HTMLInputElement,
    private readonly tools: readonly Tool[],
    private readonly actions: ToolbarActions,
  ) {
    const first = tools[0];
    if (!first) throw new Error('no tools');
    this.current = first;
    for (const tool of tools) {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'tool';
      b.dataset.tool = tool.kind;
      b.title = `${tool.label} (${tool.key.toUpperCase()})`;
      const label = document.createElement('span');
      label.textContent = tool.label;
      const kbd = document.createElement('kbd');
      kbd.textContent = tool.key.toUpperCase();
      b.append(label, kbd);
      b.addEventListener('click', () => this.select(tool));
      root.append(b);
    }
    this.select(first);
    window.addEventListener('keydown', (ev) => this.key(ev));
  }

  get tool(): Tool {
    return this.current;
  }

  get color(): string {
    return this.colorInput.value;
  }

  select(tool: Tool): void {
    this.current = tool;
    for (const b of this.root.querySelectorAll<HTMLButtonElement>('button.tool')) {
      b.setAttribute('aria-pressed', String(b.dataset.tool === tool.kind));
    }
    this.actions.toolChanged(tool);
  }

  private key(ev: KeyboardEvent): void {
    const t = ev.target;
    if (t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement) return;
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (ev.key === 'Delete' || ev.key === 'Backspace') {
      ev.preventDefault();
      this.actions.deleteSelected();
      return;
    }
    if (ev.key === 'Escape') {
      this.actions.escape();
      return;
    }
    if (ev.key.toLowerCase() === FREEZE_KEY) {
      if (!ev.repeat) this.actions.toggleFreeze();
      return;
    }
    if (ev.key.toLowerCase() === MUTE_KEY) {
      if (!ev.repeat) this.actions.toggleMute();
      return;
    }
    const tool = this.tools.find((x) => x.key === ev.key.toLowerCase());
    if (tool) this.select(tool);
  }
}
