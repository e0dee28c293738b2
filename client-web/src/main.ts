// Wires the page together.
import './style.css';
import { App } from './app';
import { byId } from './dom';
import { signalingUrl, takePageConfig } from './config';
import { OverlayRenderer } from './overlay/renderer';
import { OverlaySync } from './overlay/sync';
import { mayAnnotate, mayRecord } from './roles';
import type { AnnotationList } from './annotations';
import { Session } from './session/session';
import { Stage } from './stage';
import { installTestHooks } from './testHooks';
import { arrowTool } from './tools/arrow';
import { Gestures } from './tools/gestures';
import { pointTool } from './tools/point';
import { FreezeControl } from './ui/freeze';
import { MarksLayer } from './ui/marks';
import { MessageArea } from './ui/messages';
import { renderAnnotations, renderParticipants } from './ui/panel';
import { RecordingIndicator, renderRecordButton } from './ui/recording';
import { StatusLine } from './ui/status';
import { describeStatus } from './ui/statusText';
import { Toolbar } from './ui/toolbar';
import { watchFrames } from './video';
import { SILENCE_DBFS } from './voice';

const pageOpen = performance.now();

const config = takePageConfig();
const video = byId('video', HTMLVideoElement);
const overlay = byId('overlay', HTMLCanvasElement);
const messages = new MessageArea(byId('messages', HTMLElement));
const status = new StatusLine(byId('status', HTMLElement), byId('status-text', HTMLElement));
const marks = new MarksLayer(byId('marks', SVGSVGElement));
const participantsList = byId('participants', HTMLElement);
const annotationsList = byId('annotations', HTMLElement);
const recording = new RecordingIndicator(byId('recording', HTMLElement));
const recordButton = byId('record', HTMLButtonElement);
document.title = `Spotter — ${config.room}`;

const renderer = new OverlayRenderer(overlay, (text) => messages.show('overlay_failed', text));
const sync = new OverlaySync(renderer, (annotations) => session.roundTrips.drawn(annotations, performance.now()));

const stage = new Stage(byId('stage', HTMLElement), video, overlay, (rect) => {
  if (rect) renderer.setSize(rect.width, rect.height);
  sync.render();
  marks.pending(app.pending, rect);
});

function refreshStatus(): void {
  const f = session.facts;
  f.now = performance.now();
  f.lastFrameAt = sync.lastFrameAt;
  f.lastMatchedAt = sync.lastMatchedAt;
  f.frozen = sync.frozen;
  const s = describeStatus(f);
  byId('room-info', HTMLElement).textContent =
    `Room ${config.room} · ${config.name}` + (f.role === null ? '' : ` (${f.role})`);
  // Only roles that may annotate see the tools (the server refuses the others anyway).
  document.body.dataset.canAnnotate = String(mayAnnotate(f.role));
  document.body.dataset.canRecord = String(mayRecord(f.role));
  const voice = session.media.voice;
  document.body.dataset.talks = String(voice?.hasMicrophone === true);
  const muted = voice?.isMuted === true;
  byId('mute', HTMLButtonElement).setAttribute('aria-pressed', String(muted));
  byId('mute-label', HTMLElement).textContent = muted ? 'Unmute' : 'Mute';
  status.set(s.state, s.text);
  byId('stage', HTMLElement).dataset.video = f.lastFrameAt === null ? 'none' : 'live';
  recording.tick();
}

function toggleMute(): void {
  session.setMuted(!(session.media.voice?.isMuted ?? false));
}

function renderLists(): void {
  const { participants, annotations, equipment } = app.room;
  renderParticipants(participantsList, participants, session.participantId);
  renderAnnotations(annotationsList, annotations, app.pending, app.selected, equipment, {
    select: (id) => app.select(id === app.selected ? null : id),
    remove: (id) => app.remove(id),
  });
  byId('participants-count', HTMLElement).textContent = String(participants.length);
  byId('annotations-count', HTMLElement).textContent = String(annotations.length);
}

const session = new Session(config, signalingUrl(location), {
  message: (m) => app.handle(m),
  status: refreshStatus,
  notice: (code, detail) => messages.show(code, detail),
  frameMeta: (meta) => sync.frameMeta(meta),
  video(stream) {
    freeze.unfreeze(); // A new stream is live video.
    video.srcObject = stream;
    video.play().catch(() => {
      // Muted autoplay is allowed; a refusal leaves the video paused until a click.
    });
  },
});
// The overlay is told only when the marks changed (it renders again then).
let overlayAnnotations: AnnotationList = [];
const app = new App(session, {
  room() {
    const room = app.room;
    if (room.annotations !== overlayAnnotations) sync.setAnnotations((overlayAnnotations = room.annotations));
    recording.show(room.recording, session.participantId);
    renderRecordButton(recordButton, room.recording !== null);
    renderLists();
  },
  pending() {
    marks.pending(app.pending, stage.videoRect());
    renderLists();
  },
  notice: (code, detail) => messages.show(code, detail),
});
const freeze = new FreezeControl(
  byId('freeze', HTMLButtonElement),
  byId('frozen-badge', HTMLElement),
  byId('stage', HTMLElement),
  video,
  sync,
  refreshStatus,
);
renderLists();
renderRecordButton(recordButton, false);
setInterval(refreshStatus, 1000);
refreshStatus();

const toolbar = new Toolbar(
  byId('tools', HTMLElement),
  byId('color', HTMLInputElement),
  [pointTool, arrowTool],
  {
    toolChanged: (tool) => (byId('stage', HTMLElement).dataset.tool = tool.kind),
    deleteSelected: () => {
      if (app.selected) app.remove(app.selected);
    },
    escape: () => {
      gestures.cancel();
      app.select(null);
    },
    toggleFreeze: () => freeze.toggle(),
    toggleMute,
  },
);

const gestures = new Gestures(byId('stage', HTMLElement), {
  tool: () => toolbar.tool,
  videoRect: () => stage.videoRect(),
  displayedRtp: () => sync.strokeFrame(),
  send: (kind, points, frameRtp) => app.annotate(kind, points, toolbar.color, frameRtp),
  notice: (code) => messages.show(code),
  preview: (line) => marks.preview(line, toolbar.color),
});

const timing = { pageOpen, firstFrame: null as number | null, roundTrips: session.roundTrips.list };
if (
  !watchFrames(video, (_now, md) => {
    sync.videoFrame(md);
    timing.firstFrame ??= performance.now();
    if (sync.samples.length === 1) refreshStatus();
  })
) {
  messages.show('unsupported');
}
stage.layout();

byId('mute', HTMLButtonElement).addEventListener('click', toggleMute);
recordButton.addEventListener('click', () => app.toggleRecording());
// Browsers play sound once the person has interacted with the page.
document.addEventListener('pointerdown', () => session.media.voice?.resume());

installTestHooks({
  heardLevel: () => session.media.voice?.heardLevel() ?? SILENCE_DBFS,
  micLevel: () => session.media.voice?.micLevel() ?? SILENCE_DBFS,
  logVoiceOnsets: () => session.media.voice?.logOnsets(),
  voiceOnsets: () => session.media.voice?.onsets() ?? [],
  get muted() {
    return session.media.voice?.isMuted ?? false;
  },
  get displayed() {
    return sync.displayed;
  },
  annotations: () => app.room.annotations,
  get recording() {
    return app.room.recording;
  },
  framesDecoded: () => session.media.peer?.framesDecoded() ?? Promise.resolve(0),
  videoInbound: () => session.media.peer?.videoInbound() ?? Promise.resolve(null),
  voiceJitterBufferMs: () => session.media.peer?.voiceJitterBufferMs() ?? Promise.resolve(null),
  transport: () => session.media.peer?.transportProtocol() ?? Promise.resolve(null),
  videoRect: () => stage.videoRect(),
  overlayCanvas: overlay,
  drawnPositions: () => renderer.drawnPositions(),
  messages: () => messages.list().map(({ code, text }) => ({ code, text })),
  timing,
  get samples() {
    return sync.samples;
  },
  get participantId() {
    return session.participantId;
  },
  get frozen() {
    return freeze.frozen;
  },
});

window.addEventListener('pagehide', () => {
  session.leave();
  session.media.close();
});
