// The WebRTC connection to the server: the headset's video, the unordered, unreliable 'frames'
// data channel carrying one FrameMeta per video frame, this page's microphone (when it has
// one and its role may talk) and a few receive slots for the room's voices.
import { FRAMES_CHANNEL, type FrameMeta } from './generated/protocol';
import { parseFrameMeta } from './frames';
import { AUDIO_SLOTS } from './voice';

/** Cumulative counters of the received video, from `getStats()`'s inbound-rtp. */
export interface VideoInbound {
  framesDecoded: number;
  packetsLost: number;
  /** NACK messages this page sent, asking for lost packets again. */
  nackCount: number;
  /** Packets that came back as retransmissions (RTX). */
  retransmittedPacketsReceived: number;
}

export interface PeerHandlers {
  track(stream: MediaStream): void;
  /** A remote voice (one per audio slot). */
  voice(track: MediaStreamTrack): void;
  frameMeta(meta: FrameMeta): void;
  connectionState(state: RTCPeerConnectionState): void;
  channelState(state: RTCDataChannelState): void;
}

/** How long to wait for ICE gathering before sending the offer with what we have. */
const ICE_GATHERING_TIMEOUT_MS = 5000;

export class Peer {
  readonly pc = new RTCPeerConnection({});
  private readonly decoder = new TextDecoder();

  constructor(
    private readonly handlers: PeerHandlers,
    mic: MediaStreamTrack | null,
  ) {
    this.pc.addTransceiver('video', { direction: 'recvonly' });
    if (mic) this.pc.addTransceiver(mic, { direction: 'sendonly' });
    for (let i = 0; i < AUDIO_SLOTS; i++) this.pc.addTransceiver('audio', { direction: 'recvonly' });
    this.attachChannel(
      this.pc.createDataChannel(FRAMES_CHANNEL, { ordered: false, maxRetransmits: 0 }),
    );
    // Should the server open the channel itself, listen on that one too.
    this.pc.addEventListener('datachannel', (ev) => {
      if (ev.channel.label === FRAMES_CHANNEL) this.attachChannel(ev.channel);
    });
    this.pc.addEventListener('track', (ev) => {
      if (ev.track.kind === 'video') handlers.track(new MediaStream([ev.track]));
      else handlers.voice(ev.track);
    });
    this.pc.addEventListener('connectionstatechange', () => {
      handlers.connectionState(this.pc.connectionState);
    });
  }

  /** Creates the offer and returns its SDP once ICE gathering is complete (non-trickle). */
  async createOffer(): Promise<string> {
    const offer = await this.pc.createOffer();
    await this.pc.setLocalDescription(offer);
    await this.iceGatheringComplete();
    const sdp = this.pc.localDescription?.sdp;
    if (!sdp) throw new Error('no local description after ICE gathering');
    return sdp;
  }

  async acceptAnswer(sdp: string): Promise<void> {
    await this.pc.setRemoteDescription({ type: 'answer', sdp });
  }

  /** `framesDecoded` of the inbound video stream (0 before there is one). */
  async framesDecoded(): Promise<number> {
    return (await this.videoInbound()).framesDecoded;
  }

  /** Counters of the inbound video stream (zeros before there is one). */
  async videoInbound(): Promise<VideoInbound> {
    const stats = await this.pc.getStats();
    const sum: VideoInbound = { framesDecoded: 0, packetsLost: 0, nackCount: 0, retransmittedPacketsReceived: 0 };
    stats.forEach((report: Partial<VideoInbound> & { type?: string; kind?: string }) => {
      if (report.type !== 'inbound-rtp' || report.kind !== 'video') return;
      for (const key of Object.keys(sum) as (keyof VideoInbound)[]) sum[key] += report[key] ?? 0;
    });
    return sum;
  }

  /**
   * The mean time received voice waited in the jitter buffer (ms) over the streams heard so
   * far, or null before any: how much of mouth-to-ear this page adds to the network's share.
   */
  async voiceJitterBufferMs(): Promise<number | null> {
    const stats = await this.pc.getStats();
    let delay = 0;
    let emitted = 0;
    stats.forEach((r: { type?: string; kind?: string; jitterBufferDelay?: number; jitterBufferEmittedCount?: number }) => {
      if (r.type !== 'inbound-rtp' || r.kind !== 'audio') return;
      delay += r.jitterBufferDelay ?? 0;
      emitted += r.jitterBufferEmittedCount ?? 0;
    });
    return emitted > 0 ? (delay / emitted) * 1000 : null;
  }

  /** The transport protocol of the connection in use ('udp' or 'tcp'), once there is one. */
  async transportProtocol(): Promise<string | null> {
    const stats = await this.pc.getStats();
    const byId = new Map<string, Record<string, unknown>>();
    stats.forEach((report: Record<string, unknown>) => byId.set(String(report.id), report));
    for (const report of byId.values()) {
      if (report.type !== 'transport' || typeof report.selectedCandidatePairId !== 'string') continue;
      const pair = byId.get(report.selectedCandidatePairId);
      const local = pair ? byId.get(String(pair.localCandidateId)) : undefined;
      return typeof local?.protocol === 'string' ? local.protocol : null;
    }
    return null;
  }

  close(): void {
    this.pc.close();
  }

  private attachChannel(channel: RTCDataChannel): void {
    channel.binaryType = 'arraybuffer';
    const report = () => this.handlers.channelState(channel.readyState);
    channel.addEventListener('open', report);
    channel.addEventListener('close', report);
    channel.addEventListener('message', (ev: MessageEvent<unknown>) => {
      const text =
        typeof ev.data === 'string'
          ? ev.data
          : ev.data instanceof ArrayBuffer
            ? this.decoder.decode(ev.data)
            : '';
      const meta = parseFrameMeta(text);
      if (meta) this.handlers.frameMeta(meta);
    });
  }

  private iceGatheringComplete(): Promise<void> {
    if (this.pc.iceGatheringState === 'complete') return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.pc.removeEventListener('icegatheringstatechange', check);
        resolve();
      };
      const check = () => {
        if (this.pc.iceGatheringState === 'complete') done();
      };
      const timer = setTimeout(done, ICE_GATHERING_TIMEOUT_MS);
      this.pc.addEventListener('icegatheringstatechange', check);
    });
  }
}
