// The recorded voices, each in its own audio element, kept on the video's clock: they play,
// pause, seek and change speed with it, and one that drifts more than DRIFT_S is put back.
// All are on the same timeline as the video (the recorder fills silence from media time 0).
import { SILENCE_DBFS, rmsDbfs } from '../voice';

const DRIFT_S = 0.08;
const CHECK_MS = 250;

export class VoicesFollowingVideo {
  private readonly analysers: AnalyserNode[] = [];
  private context: AudioContext | null = null;

  constructor(
    private readonly video: HTMLVideoElement,
    readonly players: readonly HTMLAudioElement[],
  ) {
    video.addEventListener('seeking', () => this.follow(true));
    for (const event of ['play', 'pause', 'ratechange', 'waiting', 'playing']) {
      video.addEventListener(event, () => this.follow(false));
    }
    setInterval(() => this.follow(false), CHECK_MS);
    for (const p of players) p.preservesPitch = true;
  }

  /**
   * Routes the voices through an audio graph that measures their level. Call on a click:
   * browsers start audio only after the person interacted with the page.
   */
  listen(): void {
    if (!this.context) {
      try {
        const context = new AudioContext();
        for (const p of this.players) {
          const analyser = context.createAnalyser();
          analyser.fftSize = 2048;
          context.createMediaElementSource(p).connect(analyser).connect(context.destination);
          this.analysers.push(analyser);
        }
        this.context = context;
      } catch {
        return; // No Web Audio: the voices still play, unmeasured.
      }
    }
    void this.context.resume();
  }

  /** The loudest voice now, dBFS. */
  level(): number {
    const samples = new Float32Array(2048);
    let loudest = SILENCE_DBFS;
    for (const a of this.analysers) {
      a.getFloatTimeDomainData(samples);
      loudest = Math.max(loudest, rmsDbfs(samples));
    }
    return loudest;
  }

  private follow(seeked: boolean): void {
    const v = this.video;
    const playing = !v.paused && !v.seeking && v.readyState >= HTMLMediaElement.HAVE_FUTURE_DATA;
    for (const p of this.players) {
      if (p.playbackRate !== v.playbackRate) p.playbackRate = v.playbackRate;
      const beyond = Number.isFinite(p.duration) && v.currentTime >= p.duration;
      if (seeked || Math.abs(p.currentTime - v.currentTime) > DRIFT_S) {
        if (!beyond) p.currentTime = v.currentTime;
      }
      if (playing && !beyond && p.paused) void p.play().catch(() => undefined);
      if ((!playing || beyond) && !p.paused) p.pause();
    }
  }
}
