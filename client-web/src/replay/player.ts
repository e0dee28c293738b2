// The trainer's player: the technician's video (MSE), every voice in sync, and the marks
// re-drawn in 3D by the live page's overlay with the recorded pose of the exact frame on
// screen: the frame's media time gives its RTP timestamp, which finds its frame record.
import type { Annotation, Bookmark } from '../generated/protocol';
import type { MediaStatus, RecordingDetail, RecordingsApi } from '../library/api';
import type { Rect } from '../overlay/layout';
import { OverlayRenderer } from '../overlay/renderer';
import { Stage } from '../stage';
import { watchFrames } from '../video';
import { MediaClock } from './clock';
import { FrameRecords } from './frameRecords';
import { ReplayHistory } from './history';
import { type BufferWindow, WindowedMedia } from './bufferWindow';
import { VIDEO_TYPE, VOICE_TYPE, streamInto } from './mediaSource';
import { buildTimeline, type TimelineEntry } from './timeline';
import { VoicesFollowingVideo } from './voices';

/** A seek lands on the frame at its time: a hair past it, so rounding cannot pick the one before. */
const SEEK_PAST_MS = 0.1;

export interface ShownFrame {
  mediaTimeMs: number;
  rtpTimestamp: number;
  /** Whether the frame's record (pose, intrinsics) was found. */
  matched: boolean;
}

export interface PlayerView {
  video: HTMLVideoElement;
  overlay: HTMLCanvasElement;
  stage: HTMLElement;
  voices: HTMLElement;
}

export class ReplayPlayer {
  readonly history: ReplayHistory;
  readonly renderer: OverlayRenderer;
  readonly voices: VoicesFollowingVideo;
  private readonly stage: Stage;
  shown: ShownFrame | null = null;
  timeline: TimelineEntry[];
  marksHidden = false;
  /** Milliseconds from each seek to its frame on screen, for the figures. */
  readonly seekTimes: number[] = [];
  private seekStarted: { target: number; at: number } | null = null;
  private drawnMarks: readonly Annotation[] = [];
  private frame: ReturnType<FrameRecords['get']> = undefined;
  /** Called after every frame shown (the controls follow the playhead). */
  onFrame: (shown: ShownFrame) => void = () => undefined;

  private constructor(
    readonly api: RecordingsApi,
    readonly detail: RecordingDetail,
    readonly clock: MediaClock,
    readonly records: FrameRecords,
    private readonly view: PlayerView,
    onOverlayError: (text: string) => void,
  ) {
    this.history = new ReplayHistory(detail.recording.initial, detail.events, this.clock);
    this.timeline = buildTimeline(detail.recording.initial, detail.events, detail.bookmarks, this.clock);
    this.renderer = new OverlayRenderer(view.overlay, onOverlayError);
    this.stage = new Stage(view.stage, view.video, view.overlay, (rect) => {
      if (rect) this.renderer.setSize(rect.width, rect.height);
      this.draw();
    });
    const players = detail.recording.voices.map((v) => {
      const audio = document.createElement('audio');
      audio.dataset.participant = v.participant_id;
      view.voices.append(audio);
      return audio;
    });
    this.voices = new VoicesFollowingVideo(view.video, players);
    watchFrames(view.video, (_now, md) => this.frameShown(md.mediaTime));
    this.stage.layout();
  }

  /**
   * Opens recording `id`: its catalog entry, events and frame records, then its media, of
   * which the browser holds `window` around the playhead.
   */
  static async open(
    api: RecordingsApi,
    id: string,
    view: PlayerView,
    window: BufferWindow,
    notice: (text: string) => void,
  ): Promise<ReplayPlayer> {
    const detail = await api.detail(id);
    if (!detail.recording.media || detail.video.playable_bytes === 0) {
      throw new Error('This recording has no video: the headset published nothing while it ran.');
    }
    const clock = new MediaClock(detail.recording.media);
    const records = new FrameRecords(await (await api.file(id, 'frames.ndjson')).text(), clock);
    const player = new ReplayPlayer(api, detail, clock, records, view, notice);
    if (detail.video.damage) notice(`Part of this recording was lost: ${detail.video.damage}.`);
    await player.loadMedia(window, notice);
    player.seek(0); // Presents the first frame, with its marks.
    return player;
  }

  private async loadMedia(window: BufferWindow, notice: (text: string) => void): Promise<void> {
    const { recording, video } = this.detail;
    const voices = recording.voices.map(async ({ file }, i) => {
      const audio = this.voices.players[i];
      const status = this.detail.voices[i];
      if (!audio || !status || status.playable_bytes === 0) return;
      try {
        await this.attach(audio, VOICE_TYPE, file, status, window, notice);
      } catch (e) {
        notice(`A voice of this recording cannot be played (${file}): ${String(e)}`);
      }
    });
    await this.attach(this.view.video, VIDEO_TYPE, 'video.mp4', video, window, notice);
    await Promise.all(voices);
  }

  /**
   * Plays file `name` in `element`: a window of its fragments by their index, or, for a
   * damaged file (no index), as much of it from the start as the browser holds.
   */
  private async attach(
    element: HTMLMediaElement,
    type: string,
    name: string,
    status: MediaStatus,
    window: BufferWindow,
    notice: (text: string) => void,
  ): Promise<void> {
    const id = this.detail.recording.recording_id;
    if (status.index) {
      const fetchBytes = (offset: number, bytes: number) => this.api.range(id, name, offset, bytes);
      await WindowedMedia.open(element, type, status.index, fetchBytes, window, notice);
      return;
    }
    const body = (await this.api.file(id, name, status.playable_bytes)).body;
    if (!body) throw new Error(`the server sent no ${name}`);
    const loaded = await streamInto(element, type, body);
    if (!loaded.complete) notice(`Of ${name}, only what the browser's buffer holds plays: the part before the damage is longer.`);
  }

  get durationMs(): number {
    const d = this.view.video.duration;
    return Number.isFinite(d) ? d * 1000 : (this.detail.duration_ms ?? 0);
  }

  /** Media time (ms) of the frame on screen (the playhead before the first one). */
  get nowMs(): number {
    return this.shown?.mediaTimeMs ?? this.view.video.currentTime * 1000;
  }

  seek(ms: number): void {
    const target = Math.min(Math.max(0, ms), this.durationMs);
    this.seekStarted = { target, at: performance.now() };
    this.view.video.currentTime = (target + SEEK_PAST_MS) / 1000;
  }

  /**
   * Seeks to the first frame at or after media time `ms`: the moment an event happened shows
   * the room after it (a frame a few milliseconds earlier would show it before).
   */
  seekToMoment(ms: number): void {
    this.seek(this.records.atOrAfter(ms) ?? ms);
  }

  /** One frame on (`+1`) or back (`-1`), paused. */
  step(direction: 1 | -1): void {
    this.view.video.pause();
    const to = direction > 0 ? this.records.next(this.nowMs) : this.records.previous(this.nowMs);
    if (to !== null) this.seek(to);
  }

  setMarksHidden(hidden: boolean): void {
    this.marksHidden = hidden;
    this.draw();
  }

  addBookmark(bookmark: Bookmark): void {
    const detail = this.detail;
    detail.bookmarks = [...detail.bookmarks, bookmark];
    this.timeline = buildTimeline(detail.recording.initial, detail.events, detail.bookmarks, this.clock);
  }

  /** The displayed video rectangle in page CSS pixels. */
  videoRect(): Rect | null {
    return this.stage.videoRect();
  }

  /** The marks on screen now (none while hidden). */
  shownMarks(): readonly Annotation[] {
    return this.drawnMarks;
  }


  private frameShown(mediaTime: number): void {
    const rtp = this.clock.rtpAt(mediaTime);
    this.frame = this.records.get(rtp);
    // The frame's time in whole ticks: `mediaTime` is a float a hair off it, which would put a
    // mark drawn on this very frame just after it.
    this.shown = { mediaTimeMs: this.clock.msOfRtp(rtp), rtpTimestamp: rtp, matched: this.frame !== undefined };
    const s = this.seekStarted;
    if (s && Math.abs(this.shown.mediaTimeMs - s.target) < 50) {
      this.seekTimes.push(performance.now() - s.at);
      this.seekStarted = null;
    }
    this.view.stage.dataset.video = 'live';
    this.draw();
    this.onFrame(this.shown);
  }

  private draw(): void {
    const marks = this.marksHidden || !this.shown ? [] : this.history.stateAt(this.shown.mediaTimeMs).annotations;
    if (marks !== this.drawnMarks) {
      this.drawnMarks = marks;
      this.renderer.setAnnotations(marks);
    }
    this.renderer.render(this.frame ?? null);
  }
}
