// The player's page: the recording's video, voices and marks, its controls, timeline,
// bookmarks and downloads.
import { byId } from '../dom';
import { ApiError, type RecordingsApi } from '../library/api';
import { download } from '../library/download';
import type { MessageArea } from '../ui/messages';
import { bufferWindowFrom } from './bufferWindow';
import { wireControls } from './controls';
import { formatMediaTime } from './format';
import { ReplayPlayer } from './player';
import { TimelineView } from './timelineView';

function problem(messages: MessageArea, e: unknown): void {
  if (e instanceof ApiError) messages.show(e.code, e.message, e.message);
  else messages.show('replay_failed', undefined, e instanceof Error ? e.message : String(e));
}

export async function openPlayerPage(api: RecordingsApi, id: string, messages: MessageArea): Promise<ReplayPlayer | null> {
  byId('player', HTMLElement).hidden = false;
  const video = byId('video', HTMLVideoElement);
  let player: ReplayPlayer;
  try {
    player = await ReplayPlayer.open(
      api,
      id,
      { video, overlay: byId('overlay', HTMLCanvasElement), stage: byId('stage', HTMLElement), voices: byId('voices', HTMLElement) },
      bufferWindowFrom(location.search),
      (text) => messages.show('replay_notice', undefined, text),
    );
  } catch (e) {
    problem(messages, e);
    return null;
  }
  const info = player.detail.recording;
  byId('page-title', HTMLElement).textContent =
    `Room ${info.room} · ${new Date(info.started_at_ms).toLocaleString()} · ${formatMediaTime(player.durationMs, false)}`;
  document.title = `Spotter — recording of ${info.room}`;

  const timeline = new TimelineView(byId('events', HTMLElement), byId('timeline-ticks', HTMLElement), byId('events-count', HTMLElement), (ms) =>
    player.seekToMoment(ms),
  );
  const showTimeline = () => timeline.show(player.timeline, player.durationMs);
  video.addEventListener('durationchange', showTimeline);
  showTimeline();
  const bookmarkAt = byId('bookmark-at', HTMLElement);
  wireControls(
    player,
    {
      video,
      play: byId('play', HTMLButtonElement),
      playLabel: byId('play-label', HTMLElement),
      stepBack: byId('step-back', HTMLButtonElement),
      stepForward: byId('step-forward', HTMLButtonElement),
      speed: byId('speed', HTMLSelectElement),
      hideMarks: byId('hide-marks', HTMLInputElement),
      clock: byId('clock', HTMLElement),
      seek: byId('seek', HTMLInputElement),
    },
    (ms) => {
      timeline.at(ms);
      bookmarkAt.textContent = formatMediaTime(ms);
    },
  );

  const form = byId('bookmark-form', HTMLFormElement);
  const note = byId('bookmark-note', HTMLInputElement);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    api.addBookmark(id, player.nowMs, note.value).then(
      (bookmark) => {
        note.value = '';
        player.addBookmark(bookmark);
        showTimeline();
      },
      (err: unknown) => problem(messages, err),
    );
  });

  const base = `/api/recordings/${encodeURIComponent(id)}`;
  const downloads: [string, string, string][] = [
    ['export-mp4', `${base}/export.mp4`, `${id}.mp4`],
    ['export-json', `${base}/export.json`, `${id}.json`],
    ['export-vtt', `${base}/chapters.vtt`, `${id}.vtt`],
  ];
  for (const [linkId, path, name] of downloads) {
    byId(linkId, HTMLAnchorElement).addEventListener('click', (e) => {
      e.preventDefault();
      download(api, path, name).catch((err: unknown) => problem(messages, err));
    });
  }
  return player;
}
