// The page's connection to the room: the signaling socket (joining, and joining again with the
// resume key after a lost connection), the media, and the round trips of the marks it asked
// for. Every message for the room goes on to `SessionEvents.message`, where the room state is
// reduced; the session keeps only what the connection itself needs.
import type { AnnotationRequest, ClientMessage, FrameMeta, Role, ServerMessage } from '../generated/protocol';
import type { PageConfig } from '../config';
import { talks } from '../roles';
import { Signaling } from '../signaling';
import type { LocalCode } from '../ui/errorText';
import type { ConnectionFacts } from '../ui/statusText';
import { Media } from './media';
import { RoundTrips } from './roundTrips';

export interface SessionEvents {
  /** A message for the room (all but the `joined` of a refused technician invite). */
  message(m: ServerMessage): void;
  /** A connection fact changed. */
  status(): void;
  notice(code: string, detail?: string): void;
  video(stream: MediaStream): void;
  frameMeta(meta: FrameMeta): void;
}

/** Waits before each attempt to reconnect, growing; the last repeats. */
const RECONNECT_DELAYS_MS = [500, 1000, 2000, 3000, 5000];

export class Session {
  participantId: string | null = null;
  readonly facts: ConnectionFacts;
  readonly roundTrips = new RoundTrips();
  readonly media: Media;
  private signaling: Signaling;
  private nextClientRef = 1;
  /** From `joined`: presented when joining again, to replace this participant's old self. */
  private resumeKey: string | null = null;
  private reconnectAttempts = 0;
  /** Set when this page closed the connection on purpose: no reconnecting then. */
  private left = false;

  constructor(
    readonly config: PageConfig,
    private readonly url: string,
    private readonly events: SessionEvents,
  ) {
    this.facts = {
      socket: 'connecting',
      close: null,
      joinError: null,
      joined: false,
      reconnectAt: null,
      role: null,
      room: config.room,
      name: config.name,
      peer: 'none',
      lastFrameAt: null,
      lastMatchedAt: null,
      joinedAt: null,
      frozen: false,
      now: performance.now(),
    };
    this.media = new Media({
      video: (stream) => events.video(stream),
      frameMeta: (meta) => events.frameMeta(meta),
      state: () => {
        this.facts.peer = this.media.peerState;
        events.status();
      },
      // The signaling socket probably went with the network, even if the browser does not
      // know yet: a new socket joins again (replacing this participant's old self).
      lost: () => {
        if (!this.left) this.dropConnection();
      },
      notice: (code, detail) => events.notice(code, detail),
    });
    this.signaling = this.openSignaling();
  }

  get role(): Role | null {
    return this.facts.role;
  }

  /** Sends `m`; false when not connected. */
  send(m: ClientMessage): boolean {
    return this.signaling.send(m);
  }

  /** Asks for a mark; its client ref, or null when not connected. */
  annotate(request: AnnotationRequest, at: number): number | null {
    const clientRef = this.nextClientRef++;
    if (!this.send({ type: 'annotate', client_ref: clientRef, request })) return null;
    this.roundTrips.sent(clientRef, at);
    return clientRef;
  }

  /** Mutes or unmutes the microphone; everyone in the room is shown the state. */
  setMuted(muted: boolean): void {
    const voice = this.media.voice;
    if (!voice?.hasMicrophone) return;
    voice.setMuted(muted);
    this.send({ type: 'set_muted', muted });
    this.events.status();
  }

  /** Closes the connection for good. */
  leave(): void {
    this.left = true;
    this.signaling.close();
  }

  private openSignaling(): Signaling {
    return new Signaling(this.url, {
      open: () => this.opened(),
      message: (m) => this.handle(m),
      close: (info) => this.closed(info),
      garbage: (text) => this.events.notice('bad_message' satisfies LocalCode, text.slice(0, 200)),
    });
  }

  private opened(): void {
    this.facts.socket = 'open';
    this.facts.reconnectAt = null;
    const { room, token, name } = this.config;
    this.send(
      this.resumeKey === null
        ? { type: 'join', room, token, name }
        : { type: 'join', room, token, name, resume: this.resumeKey },
    );
    this.events.status();
  }

  private closed(close: { code: number; reason: string; wasOpen: boolean }): void {
    this.facts.socket = 'closed';
    this.facts.close = close;
    this.facts.joined = false;
    // A refused join (a bad invite) would be refused again; anything else is worth retrying.
    if (!this.left && this.facts.joinError === null) {
      const delay = RECONNECT_DELAYS_MS[Math.min(this.reconnectAttempts, RECONNECT_DELAYS_MS.length - 1)] ?? 5000;
      this.reconnectAttempts++;
      this.facts.reconnectAt = performance.now() + delay;
      setTimeout(() => (this.signaling = this.openSignaling()), delay);
    }
    this.events.status();
  }

  /** Gives the socket up without its closing handshake (it would hang on a dead network). */
  private dropConnection(): void {
    this.signaling.abandon();
    this.closed({ code: 1006, reason: 'the connection was lost', wasOpen: true });
  }

  private handle(m: ServerMessage): void {
    switch (m.type) {
      case 'joined':
        if (m.role === 'technician') {
          // A browser must not take the headset's place in the room.
          this.facts.joinError = 'this invite is for the headset';
          this.events.notice('technician_invite' satisfies LocalCode);
          this.leave();
          return;
        }
        this.participantId = m.participant_id;
        this.facts.role = m.role;
        this.resumeKey = m.resume_key;
        this.reconnectAttempts = 0;
        this.facts.joined = true;
        this.facts.joinedAt = performance.now();
        this.events.message(m);
        this.events.status();
        void this.startMedia();
        return;
      case 'answer':
        this.media.acceptAnswer(m.sdp);
        break;
      case 'annotation_accepted':
        this.roundTrips.accepted(m.client_ref, m.annotation_id, performance.now());
        break;
      case 'annotation_added':
        this.roundTrips.added(m.annotation.id, performance.now());
        break;
      case 'error':
        // A refused join, or an invite revoked while in the room, ends the session for good.
        if (!this.facts.joined || m.code === 'invite_revoked') this.facts.joinError = m.message || m.code;
        this.events.notice(m.code, m.message);
        this.events.status();
        break;
      case 'closing':
        this.events.notice('server_closing' satisfies LocalCode, m.message);
        break;
      default:
        break;
    }
    this.events.message(m);
  }

  private async startMedia(): Promise<void> {
    const sdp = await this.media.connect(talks(this.facts.role));
    if (sdp !== null) this.send({ type: 'offer', sdp });
  }
}
