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

/** A voice starts when it rises above this after at least ONSET_QUIET_MS below QUIET_DBFS. */
const ONSET_DBFS = -40;
const QUIET_DBFS = -60;
const ONSET_QUIET_MS = 200;

export class Voice {
  private readonly players: HTMLAudioElement[] = [];
  private readonly analysers: AnalyserNode[] = [];
  /** The remote voices' sources in the audio graph (the microphone's is not one). */
  private readonly sources: MediaStreamAudioSourceNode[] = [];
  private onsetTimer: number | null = null;
  private readonly onsetTimes: number[] = [];
  private context: AudioContext | null = null;
  private micAnalyser: AnalyserNode | null = null;
  private muted = false;

  constructor(
    private readonly mic: MediaStreamTrack | null,
    /** Called when the browser refuses to play sound before a click on the page. */
    private readonly blocked: () => void,
  ) {
    if (mic) this.micAnalyser = this.analyse(new MediaStream([mic]))?.analyser ?? null;
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
    const tapped = this.analyse(stream);
    if (tapped) {
      this.analysers.push(tapped.analyser);
      this.sources.push(tapped.source);
    }
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

  /**
   * Starts noting when a remote voice begins after a pause (wall-clock ms, a few ms precise),
   * so that a test can measure mouth-to-ear latency against the talker's own clock.
   */
  logOnsets(): void {
    if (this.onsetTimer !== null || !this.context) return;
    const context = this.context;
    // A short window (5 ms at 48 kHz): onsets are timed by when the level crosses.
    // Only the voices playing now are watched (a test calls this once they play).
    const taps = this.sources.map((source) => {
      const analyser = context.createAnalyser();
      analyser.fftSize = 256;
      source.connect(analyser);
      return { analyser, samples: new Float32Array(analyser.fftSize) };
    });
    let quietSince: number | null = null;
    this.onsetTimer = window.setInterval(() => {
      const now = performance.timeOrigin + performance.now();
      let loudest = SILENCE_DBFS;
      for (const { analyser, samples } of taps) {
        analyser.getFloatTimeDomainData(samples);
        loudest = Math.max(loudest, rmsDbfs(samples));
      }
      if (loudest < QUIET_DBFS) {
        quietSince ??= now;
      } else if (loudest > ONSET_DBFS) {
        if (quietSince !== null && now - quietSince >= ONSET_QUIET_MS) this.onsetTimes.push(now);
        quietSince = null;
      }
    }, 2);
  }

  /** Onsets noted since `logOnsets()` (wall-clock ms), oldest first. */
  onsets(): readonly number[] {
    return this.onsetTimes;
  }

  close(): void {
    if (this.onsetTimer !== null) window.clearInterval(this.onsetTimer);
    for (const p of this.players) p.srcObject = null;
    this.mic?.stop();
    void this.context?.close();
  }

  private analyse(stream: MediaStream): { analyser: AnalyserNode; source: MediaStreamAudioSourceNode } | null {
    try {
      this.context ??= new AudioContext();
      const analyser = this.context.createAnalyser();
      analyser.fftSize = 2048;
      const source = this.context.createMediaStreamSource(stream);
      source.connect(analyser);
      return { analyser, source };
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
