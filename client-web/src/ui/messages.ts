// The message area: errors and notices, each element tagged with data-code.
import { messageText } from './errorText';

export interface ShownMessage {
  code: string;
  text: string;
  /** performance.now() when shown. */
  at: number;
}

const MAX_VISIBLE = 4;
const LIFETIME_MS = 20_000;

export class MessageArea {
  private readonly shown: ShownMessage[] = [];

  constructor(private readonly root: HTMLElement) {}

  /** Shows the message for `code`; `detail` is the server's own wording, shown smaller. */
  show(code: string, detail?: string, text = messageText(code, detail)): void {
    this.shown.push({ code, text, at: performance.now() });
    const item = document.createElement('div');
    item.className = 'message';
    item.dataset.code = code;
    item.setAttribute('role', 'alert');
    const body = document.createElement('div');
    body.className = 'message-body';
    const main = document.createElement('span');
    main.className = 'message-text';
    main.textContent = text;
    const tag = document.createElement('code');
    tag.className = 'message-code';
    tag.textContent = code;
    body.append(main, tag);
    if (detail && detail !== text) {
      const small = document.createElement('small');
      small.className = 'message-detail';
      small.textContent = detail;
      body.append(small);
    }
    const close = document.createElement('button');
    close.className = 'message-close';
    close.type = 'button';
    close.title = 'Dismiss';
    close.textContent = '×';
    close.addEventListener('click', () => item.remove());
    item.append(body, close);
    this.root.prepend(item);
    while (this.root.children.length > MAX_VISIBLE) this.root.lastElementChild?.remove();
    setTimeout(() => item.remove(), LIFETIME_MS);
  }

  /** Every message shown so far, oldest first. */
  list(): readonly ShownMessage[] {
    return this.shown;
  }
}
