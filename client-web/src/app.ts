// The expert session: joins the room, receives the video, keeps the room's participants and
// annotations and equipment names, and turns gestures into annotate / delete requests.
import type {
  AnnotationId,
  AnnotationKind,
  ClientMessage,
  ServerMessage,
} from './generated/protocol';
import type { PageConfig } from './config';
import { addAnnotation, deleteAnnotation, fromSnapshot, type AnnotationList } from './annotations';
import { acceptPending, addPending, expirePending, settlePending, type PendingList } from './pending';
import { NO_EQUIPMENT, equipmentNames, type EquipmentNames } from './equipment';
import { addParticipant, removeParticipant, updateParticipant, type ParticipantList } from './participants';
import { Peer } from './peer';
import { Voice, openMicrophone } from './voice';
import type { OverlaySync } from './overlay/sync';
import type { ConnectionFacts } from './ui/statusText';
import type { LocalCode } from './ui/errorText';

export interface RoundTrip {
  clientRef: number;
  annotationId: AnnotationId | null;
  /** performance.now() times: the gesture's pointerup, then each answer. */
  pointerUp: number;
  accepted: number | null;
  added: number | null;
  /** The first overlay render that included the annotation. */
  drawn: number | null;
}

export interface AppView {
  /** The room's lists changed. */
  lists(): void;
  /** Pending marks changed. */
  pending(): void;
  /** A connection fact changed. */
  status(): void;
  notice(code: string, detail?: string): void;
  video(stream: MediaStream): void;
  /** Close the connection to the server for good. */
  leave(): void;
  /** Open a new connection to the server (after the last one was lost). */
  reconnect(): void;
  /** Close the connection to the server so that a new one replaces it. */
  dropConnection(): void;
}

/** Waits before each attempt to reconnect, growing; the last repeats. */
const RECONNECT_DELAYS_MS = [500, 1000, 2000, 3000, 5000];
/** A video connection interrupted this long is rebuilt (ICE may recover before). */
const PEER_LOST_AFTER_MS = 5000;

const PENDING_TTL_MS = 30_000;

export class App {
  participantId: string | null = null;
  participants: ParticipantList = [];
  annotations: AnnotationList = [];
  /** Names of the room's equipment, as its headset reported them. */
  equipment: EquipmentNames = NO_EQUIPMENT;
  pending: PendingList = [];
  selected: AnnotationId | null = null;
  readonly roundTrips: RoundTrip[] = [];
  readonly facts: ConnectionFacts;
  peer: Peer | null = null;
  /** The microphone and the room's voices; made once, kept across reconnections. */
  voice: Voice | null = null;
  private nextClientRef = 1;
  /** From `joined`: presented when joining again, to replace this participant's old self. */
  private resumeKey: string | null = null;
  private reconnectAttempts = 0;
  /** Set when this page closed the connection on purpose: no reconnecting then. */
  private left = false;
  private peerLostTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    readonly config: PageConfig,
    private readonly send: (m: ClientMessage) => boolean,
    private readonly sync: OverlaySync,
    private readonly view: AppView,
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
    setInterval(() => {
      const kept = expirePending(this.pending, performance.now() - PENDING_TTL_MS);
      if (kept !== this.pending) {
        this.pending = kept;
        this.view.pending();
        this.view.lists();
      }
    }, 1000);
  }

  socketOpened(): void {
    this.facts.socket = 'open';
    this.facts.reconnectAt = null;
    const { room, token, name } = this.config;
    this.send(
      this.resumeKey === null
        ? { type: 'join', room, token, name }
        : { type: 'join', room, token, name, resume: this.resumeKey },
    );
    this.view.status();
  }

  socketClosed(close: { code: number; reason: string; wasOpen: boolean }): void {
    this.facts.socket = 'closed';
    this.facts.close = close;
    this.facts.joined = false;
    // A refused join (a bad invite) would be refused again; anything else is worth retrying.
    if (!this.left && this.facts.joinError === null) {
      const delay = RECONNECT_DELAYS_MS[Math.min(this.reconnectAttempts, RECONNECT_DELAYS_MS.length - 1)] ?? 5000;
      this.reconnectAttempts++;
      this.facts.reconnectAt = performance.now() + delay;
      setTimeout(() => this.view.reconnect(), delay);
    }
    this.view.status();
  }

  /** Closes the connection for good. */
  leave(): void {
    this.left = true;
    this.view.leave();
  }

  handle(m: ServerMessage): void {
    switch (m.type) {
      case 'joined':
        if (m.role === 'technician') {
          // A browser must not take the headset's place in the room.
          this.facts.joinError = 'this invite is for the headset';
          this.view.notice('technician_invite');
          this.leave();
          return;
        }
        this.participantId = m.participant_id;
        this.facts.role = m.role;
        this.resumeKey = m.resume_key;
        this.reconnectAttempts = 0;
        this.participants = m.snapshot.participants;
        this.setAnnotations(fromSnapshot(m.snapshot));
        this.equipment = equipmentNames(m.snapshot.equipment);
        this.facts.joined = true;
        this.facts.joinedAt = performance.now();
        this.view.lists();
        this.view.status();
        void this.startPeer();
        break;
      case 'answer':
        this.peer?.acceptAnswer(m.sdp).catch((e: unknown) => {
          this.view.notice('video_failed', `Could not apply the server's answer: ${String(e)}`);
        });
        break;
      case 'participant_joined':
        this.participants = addParticipant(this.participants, m.participant);
        this.view.lists();
        break;
      case 'participant_updated':
        this.participants = updateParticipant(this.participants, m.participant);
        this.view.lists();
        break;
      case 'participant_left':
        this.participants = removeParticipant(this.participants, m.participant_id);
        this.view.lists();
        break;
      case 'annotation_accepted':
        this.pending = acceptPending(this.pending, m.client_ref, m.annotation_id);
        this.trip({ clientRef: m.client_ref }, (t) => {
          t.annotationId = m.annotation_id;
          t.accepted = performance.now();
        });
        this.view.pending();
        this.view.lists();
        break;
      case 'annotation_added':
        this.pending = settlePending(this.pending, { annotationId: m.annotation.id });
        this.trip({ annotationId: m.annotation.id }, (t) => (t.added = performance.now()));
        this.setAnnotations(addAnnotation(this.annotations, m.annotation));
        this.view.pending();
        this.view.lists();
        break;
      case 'annotation_deleted':
        if (this.selected === m.annotation_id) this.selected = null;
        this.setAnnotations(deleteAnnotation(this.annotations, m.annotation_id));
        this.view.lists();
        break;
      case 'error':
        this.pending = settlePending(this.pending, {
          clientRef: m.client_ref,
          annotationId: m.annotation_id,
        });
        // A refused join, or an invite revoked while in the room, ends the session for good.
        if (!this.facts.joined || m.code === 'invite_revoked') this.facts.joinError = m.message || m.code;
        this.view.notice(m.code, m.message);
        this.view.pending();
        this.view.lists();
        this.view.status();
        break;
      case 'equipment_updated':
        this.equipment = equipmentNames(m.items);
        this.view.lists();
        break;
      case 'closing':
        this.view.notice('server_closing' satisfies LocalCode, m.message);
        break;
      case 'resolve_request':
        break; // Addressed to the technician's headset only.
    }
  }

  /** Sends an annotate request for a gesture on the frame `frameRtp`. */
  annotate(kind: AnnotationKind, points: [number, number][], color: string, frameRtp: number): void {
    const clientRef = this.nextClientRef++;
    const sent = this.send({
      type: 'annotate',
      client_ref: clientRef,
      request: { kind, frame_rtp_timestamp: frameRtp, points, color },
    });
    if (!sent) {
      this.view.notice('not_connected' satisfies LocalCode);
      return;
    }
    const now = performance.now();
    this.pending = addPending(this.pending, {
      clientRef,
      kind,
      points,
      color,
      frameRtp,
      sentAt: now,
      annotationId: null,
    });
    this.roundTrips.push({
      clientRef,
      annotationId: null,
      pointerUp: now,
      accepted: null,
      added: null,
      drawn: null,
    });
    this.view.pending();
    this.view.lists();
  }

  remove(id: AnnotationId): void {
    if (!this.send({ type: 'delete_annotation', annotation_id: id })) {
      this.view.notice('not_connected' satisfies LocalCode);
    }
  }

  select(id: AnnotationId | null): void {
    this.selected = id;
    this.view.lists();
  }

  /** Called after each overlay render that used a frame. */
  rendered(annotations: readonly { id: AnnotationId }[]): void {
    const now = performance.now();
    for (const t of this.roundTrips) {
      if (t.drawn === null && t.added !== null && annotations.some((a) => a.id === t.annotationId)) {
        t.drawn = now;
      }
    }
  }

  private setAnnotations(list: AnnotationList): void {
    this.annotations = list;
    this.sync.setAnnotations(list);
  }

  private trip(
    by: { clientRef?: number; annotationId?: AnnotationId },
    update: (t: RoundTrip) => void,
  ): void {
    const t = this.roundTrips.find(
      (r) => r.clientRef === by.clientRef || (r.annotationId !== null && r.annotationId === by.annotationId),
    );
    if (t) update(t);
  }

  /**
   * Starts over when the video connection failed or stayed interrupted too long: the network
   * probably went, and the signaling socket with it even if the browser does not know yet. A
   * new socket joins again (replacing this participant's old self) with a new connection.
   */
  private watchPeer(state: RTCPeerConnectionState): void {
    if (this.peerLostTimer !== null) clearTimeout(this.peerLostTimer);
    this.peerLostTimer = null;
    if (state !== 'failed' && state !== 'disconnected') return;
    const wait = state === 'failed' ? 0 : PEER_LOST_AFTER_MS;
    this.peerLostTimer = setTimeout(() => {
      this.peerLostTimer = null;
      if (!this.left) this.view.dropConnection();
    }, wait);
  }

  /** Whether this participant's role sends voice. */
  get talks(): boolean {
    return this.facts.role === 'expert';
  }

  /** Mutes or unmutes the microphone; everyone in the room is shown the state. */
  setMuted(muted: boolean): void {
    if (!this.voice?.hasMicrophone) return;
    this.voice.setMuted(muted);
    this.send({ type: 'set_muted', muted });
    this.view.status();
  }

  private async openVoice(): Promise<Voice> {
    if (this.voice) return this.voice;
    const mic = this.talks ? await openMicrophone() : null;
    if (this.talks && !mic) this.view.notice('no_microphone' satisfies LocalCode);
    this.voice = new Voice(mic, () => this.view.notice('sound_blocked' satisfies LocalCode));
    return this.voice;
  }

  private async startPeer(): Promise<void> {
    this.peer?.close();
    const voice = await this.openVoice();
    const peer = new Peer({
      track: (stream) => this.view.video(stream),
      voice: (track) => voice.play(track),
      frameMeta: (meta) => this.sync.frameMeta(meta),
      connectionState: (state) => {
        if (this.peer !== peer) return; // A replaced connection.
        this.facts.peer = state;
        this.watchPeer(state);
        this.view.status();
      },
      channelState: () => this.view.status(),
    }, voice.micTrack);
    this.peer = peer;
    this.facts.peer = peer.pc.connectionState;
    try {
      const sdp = await peer.createOffer();
      this.send({ type: 'offer', sdp });
    } catch (e) {
      this.view.notice('video_failed', `Could not create the video offer: ${String(e)}`);
    }
  }
}
