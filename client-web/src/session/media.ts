// The page's media: one peer connection at a time (replaced on each join) and the voice (the
// microphone and the room's voices, made once and kept across reconnections).
import type { FrameMeta } from '../generated/protocol';
import { Peer } from '../peer';
import { Voice, openMicrophone } from '../voice';
import type { LocalCode } from '../ui/errorText';

export interface MediaEvents {
  video(stream: MediaStream): void;
  frameMeta(meta: FrameMeta): void;
  /** The peer connection's or its data channel's state changed. */
  state(): void;
  /** The video connection failed, or stayed interrupted too long: the network probably went. */
  lost(): void;
  notice(code: string, detail?: string): void;
}

/** A video connection interrupted this long is rebuilt (ICE may recover before). */
const PEER_LOST_AFTER_MS = 5000;

export class Media {
  peer: Peer | null = null;
  voice: Voice | null = null;
  private lostTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly events: MediaEvents) {}

  /** A new peer connection (closing the last one); its offer, null when it could not be made. */
  async connect(talks: boolean): Promise<string | null> {
    this.peer?.close();
    const voice = await this.openVoice(talks);
    const peer = new Peer({
      track: (stream) => this.events.video(stream),
      voice: (track) => voice.play(track),
      frameMeta: (meta) => this.events.frameMeta(meta),
      connectionState: (state) => {
        if (this.peer !== peer) return; // A replaced connection.
        this.watch(state);
        this.events.state();
      },
      channelState: () => this.events.state(),
    }, voice.micTrack);
    this.peer = peer;
    this.events.state();
    try {
      return await peer.createOffer();
    } catch (e) {
      this.events.notice('video_failed' satisfies LocalCode, `Could not create the video offer: ${String(e)}`);
      return null;
    }
  }

  acceptAnswer(sdp: string): void {
    this.peer?.acceptAnswer(sdp).catch((e: unknown) => {
      this.events.notice('video_failed' satisfies LocalCode, `Could not apply the server's answer: ${String(e)}`);
    });
  }

  get peerState(): RTCPeerConnectionState | 'none' {
    return this.peer?.pc.connectionState ?? 'none';
  }

  close(): void {
    this.peer?.close();
    this.voice?.close();
  }

  private async openVoice(talks: boolean): Promise<Voice> {
    if (this.voice) return this.voice;
    const mic = talks ? await openMicrophone() : null;
    if (talks && !mic) this.events.notice('no_microphone' satisfies LocalCode);
    this.voice = new Voice(mic, () => this.events.notice('sound_blocked' satisfies LocalCode));
    return this.voice;
  }

  /** Reports a connection that failed at once, or one interrupted for PEER_LOST_AFTER_MS. */
  private watch(state: RTCPeerConnectionState): void {
    if (this.lostTimer !== null) clearTimeout(this.lostTimer);
    this.lostTimer = null;
    if (state !== 'failed' && state !== 'disconnected') return;
    this.lostTimer = setTimeout(() => {
      this.lostTimer = null;
      this.events.lost();
    }, state === 'failed' ? 0 : PEER_LOST_AFTER_MS);
  }
}
