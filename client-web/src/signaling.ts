// The signaling WebSocket: JSON ClientMessage out, ServerMessage in.
import type { ClientMessage, ServerMessage } from './generated/protocol';

export interface SignalingHandlers {
  open(): void;
  message(message: ServerMessage): void;
  /** The socket closed (or never opened); `wasOpen` tells which. */
  close(info: { code: number; reason: string; wasOpen: boolean }): void;
  /** A frame that is not a ServerMessage. */
  garbage(text: string): void;
}

/** A ServerMessage from a text frame, or null when it is not one. */
export function parseServerMessage(text: string): ServerMessage | null {
  try {
    const v: unknown = JSON.parse(text);
    if (typeof v === 'object' && v !== null && typeof (v as { type?: unknown }).type === 'string') {
      return v as ServerMessage;
    }
  } catch {
    // Fall through.
  }
  return null;
}

export class Signaling {
  private readonly ws: WebSocket;
  private opened = false;
  /** Set by `abandon`: this socket's events no longer reach the page. */
  private abandoned = false;

  constructor(url: string, handlers: SignalingHandlers) {
    this.ws = new WebSocket(url);
    this.ws.addEventListener('open', () => {
      this.opened = true;
      if (!this.abandoned) handlers.open();
    });
    this.ws.addEventListener('message', (ev: MessageEvent<unknown>) => {
      if (this.abandoned) return;
      const text = typeof ev.data === 'string' ? ev.data : '';
      const message = parseServerMessage(text);
      if (message) handlers.message(message);
      else handlers.garbage(text);
    });
    this.ws.addEventListener('close', (ev) => {
      if (!this.abandoned) handlers.close({ code: ev.code, reason: ev.reason, wasOpen: this.opened });
    });
  }

  /**
   * Gives this socket up without waiting for its closing handshake (over a dead network that
   * can take a minute): nothing it says reaches the page any more.
   */
  abandon(): void {
    this.abandoned = true;
    this.ws.close(1000, 'connection lost');
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Sends `message`; false when the socket is not open. */
  send(message: ClientMessage): boolean {
    if (!this.isOpen) return false;
    this.ws.send(JSON.stringify(message));
    return true;
  }

  close(): void {
    this.ws.close(1000, 'page closed');
  }
}
