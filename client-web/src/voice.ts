// Voice: this page's microphone to the room, and the room's voices to the speakers. The
// server gives each listener a few audio slots (one per person talking); each arrives here as
// its own track and plays in its own audio element.

/** Receive-only audio transceivers the page offers: how many people it can hear at once. */
export const AUDIO_SLOTS = 3;

/** Level reported for silence (and before any audio), in dBFS. */
export const SILENCE_DBFS = -100;

/** Root mean square of `samples` in dBFS (full scale ±1). */
export function rmsDbfs(samples: Float32Array): number {
  if (samples.length === 0) return SILENCE_DBFS;
  let sum = 0;
  for (const s of samples) sum += s * s;
  const rms = Math.sqrt(sum / samples.length);
  return rms > 0 ? Math.max(SILENCE_DBFS, 20 * Math.log10(rms)) : SILENCE_DBFS;
}

/** The microphone, or null when there is none or the person refused it (they can still listen). */
export async function openMicrophone(): Promise<MediaStreamTrack | null> {
  try {
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
    });
    return stream.getAudioTracks()[0] ?? null;
  } catch {
    return null;
  }
}

export class Voice {
  private readonly players: HTMLAudioElement[] = [];
  private readonly analysers: AnalyserNode[] = [];
  private context: AudioContext | null = null;
  private micAnalyser: AnalyserNode | null = null;
  private muted = false;

  constructor(
    private readonly mic: MediaStreamTrack | null,
    /** Called when the browser refuses to play sound before a click on the page. */
    private readonly blocked: () => void,
  ) {
    if (mic) this.micAnalyser = this.analyse(new MediaStream([mic]));
  }

  get hasMicrophone(): boolean {
    return this.mic !== null;
  }

  get micTrack(): MediaStreamTrack | null {
    return this.mic;
  }

  get isMuted(): boolean {
    return this.muted;
  }

  /** Mutes or unmutes the microphone: a muted track sends silence. */
  setMuted(muted: boolean): void {
    this.muted = muted;
    if (this.mic) this.mic.enabled = !muted;
  }

  /** Plays a remote voice. */
  play(track: MediaStreamTrack): void {
    const stream = new MediaStream([track]);
    const player = new Audio();
    player.autoplay = true;
    player.srcObject = stream;
    player.play().catch(() => this.blocked());
    this.players.push(player);
    const analyser = this.analyse(stream);
    if (analyser) this.analysers.push(analyser);
  }

  /** Retries playback after a click (browsers allow sound once the person interacted). */
  resume(): void {
    void this.context?.resume();
    for (const p of this.players) if (p.paused) p.play().catch(() => undefined);
  }

  /** The loudest remote voice now, in dBFS. */
  heardLevel(): number {
    return Math.max(SILENCE_DBFS, ...this.analysers.map(level));
  }

  /** The microphone's level now, in dBFS (silence when muted or absent). */
  micLevel(): number {
    return this.micAnalyser && !this.muted ? level(this.micAnalyser) : SILENCE_DBFS;
  }

  close(): void {
    for (const p of this.players) p.srcObject = null;
    this.mic?.stop();
    void this.context?.close();
  }

  private analyse(stream: MediaStream): AnalyserNode | null {
    try {
      this.context ??= new AudioContext();
      const analyser = this.context.createAnalyser();
      analyser.fftSize = 2048;
      this.context.createMediaStreamSource(stream).connect(analyser);
      return analyser;
    } catch {
      return null; // No Web Audio: levels stay at silence; playback is unaffected.
    }
  }
}

function level(analyser: AnalyserNode): number {
  const samples = new Float32Array(analyser.fftSize);
  analyser.getFloatTimeDomainData(samples);
  return rmsDbfs(samples);
}
