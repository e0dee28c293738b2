// The page's model: the room state (reduced from the session's messages), this page's own
// pending marks and selection, and the requests its controls make.
import type { AnnotationId, AnnotationKind, AnnotationRequest, ClientMessage, ServerMessage } from './generated/protocol';
import { acceptPending, addPending, expirePending, settlePending, type PendingList } from './pending';
import { reduceMessage } from './room/reduce';
import { EMPTY_ROOM, type RoomState } from './room/state';
import type { LocalCode } from './ui/errorText';

/** What the page's model needs of the session. */
export interface RoomLink {
  send(m: ClientMessage): boolean;
  annotate(request: AnnotationRequest, at: number): number | null;
}

export interface AppView {
  /** The room state changed. */
  room(): void;
  /** This page's pending marks changed. */
  pending(): void;
  notice(code: string, detail?: string): void;
}

/** A mark the headset has not placed after this long is given up. */
const PENDING_TTL_MS = 30_000;

export class App {
  room: RoomState = EMPTY_ROOM;
  /** The marks this page sent that are not placed yet (the room does not show them). */
  pending: PendingList = [];
  selected: AnnotationId | null = null;

  constructor(
    private readonly link: RoomLink,
    private readonly view: AppView,
  ) {
    setInterval(() => this.setPending(expirePending(this.pending, performance.now() - PENDING_TTL_MS)), 1000);
  }

  handle(m: ServerMessage): void {
    const room = reduceMessage(this.room, m);
    if (room !== this.room) {
      this.room = room;
      if (this.selected !== null && !room.annotations.some((a) => a.id === this.selected)) this.selected = null;
      this.view.room();
    }
    switch (m.type) {
      case 'annotation_accepted':
        this.setPending(acceptPending(this.pending, m.client_ref, m.annotation_id));
        break;
      case 'annotation_added':
        this.setPending(settlePending(this.pending, { annotationId: m.annotation.id }));
        break;
      case 'error':
        this.setPending(settlePending(this.pending, { clientRef: m.client_ref, annotationId: m.annotation_id }));
        break;
      case 'recording_stopped':
        if (m.reason !== null) this.view.notice('recording_stopped' satisfies LocalCode, m.reason);
        break;
      default:
        break;
    }
  }

  /** Asks for a mark from a gesture on the frame `frameRtp`. */
  annotate(kind: AnnotationKind, points: [number, number][], color: string, frameRtp: number): void {
    const now = performance.now();
    const clientRef = this.link.annotate({ kind, frame_rtp_timestamp: frameRtp, points, color }, now);
    if (clientRef === null) {
      this.view.notice('not_connected' satisfies LocalCode);
      return;
    }
    this.setPending(addPending(this.pending, { clientRef, kind, points, color, frameRtp, sentAt: now, annotationId: null }));
  }

  remove(id: AnnotationId): void {
    this.request({ type: 'delete_annotation', annotation_id: id });
  }

  select(id: AnnotationId | null): void {
    this.selected = id;
    this.view.room();
  }

  /** Starts the room's recording, or stops the one running (whoever started it). */
  toggleRecording(): void {
    this.request({ type: this.room.recording === null ? 'start_recording' : 'stop_recording' });
  }

  private request(m: ClientMessage): void {
    if (!this.link.send(m)) this.view.notice('not_connected' satisfies LocalCode);
  }

  private setPending(pending: PendingList): void {
    if (pending === this.pending) return;
    this.pending = pending;
    this.view.pending();
  }
}
