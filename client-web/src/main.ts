// Wires the page together.
import './style.css';
import { App, type AppView } from './app';
import { signalingUrl, takePageConfig } from './config';
import { OverlayRenderer } from './overlay/renderer';
import { OverlaySync } from './overlay/sync';
import { Signaling } from './signaling';
import { Stage } from './stage';
import { installTestHooks } from './testHooks';
import { arrowTool } from './tools/arrow';
import { Gestures } from './tools/gestures';
import { pointTool } from './tools/point';
import { FreezeControl } from './ui/freeze';
import { MarksLayer } from './ui/marks';
import { MessageArea } from './ui/messages';
import { renderAnnotations, renderParticipants } from './ui/panel';
import { StatusLine } from './ui/status';
import { describeStatus } from './ui/statusText';
import { Toolbar } from './ui/toolbar';
import { watchFrames } from './video';
import { SILENCE_DBFS } from './voice';

const pageOpen = performance.now();

function byId<T extends Element>(id: string, type: new () => T): T {
  const e = document.getElementById(id);
  if (!(e instanceof type)) throw new Error(`#${id} is missing`);
  return e;
}

const config = takePageConfig();
const video = byId('video', HTMLVideoElement);
const overlay = byId('overlay', HTMLCanvasElement);
const messages = new MessageArea(byId('messages', HTMLElement));
const status = new StatusLine(byId('status', HTMLElement), byId('status-text', HTMLElement));
const marks = new MarksLayer(byId('marks', SVGSVGElement));
const participantsList = byId('participants', HTMLElement);
const annotationsList = byId('annotations', HTMLElement);
document.title = `Spotter — ${config.room}`;

const renderer = new OverlayRenderer(overlay, (text) => messages.show('overlay_failed', text));
const sync = new OverlaySync(renderer, (annotations) => app.rendered(annotations));

const stage = new Stage(byId('stage', HTMLElement), video, overlay, (rect) => {
  if (rect) renderer.setSize(rect.width, rect.height);
  sync.render();
  marks.pending(app.pending, rect);
});

function openSignaling(): Signaling {
  return new Signaling(signalingUrl(location), {
    open: () => app.socketOpened(),
    message: (m) => app.handle(m),
    close: (info) => app.socketClosed(info),
    garbage: (text) => messages.show('bad_message', text.slice(0, 200)),
  });
}
// Replaced by a new connection after a lost one (App.socketClosed decides).
let signaling = openSignaling();

function refreshStatus(): void {
  const f = app.facts;
  f.now = performance.now();
  f.lastFrameAt = sync.lastFrameAt;
  f.lastMatchedAt = sync.lastMatchedAt;
  f.frozen = sync.frozen;
  const s = describeStatus(f);
  byId('room-info', HTMLElement).textContent =
    `Room ${config.room} · ${config.name}` + (f.role === null ? '' : ` (${f.role})`);
  // Only roles that may annotate see the tools (the server refuses the others anyway).
  document.body.dataset.canAnnotate = String(f.role === null || f.role === 'expert');
  const voice = app.voice;
  document.body.dataset.talks = String(voice?.hasMicrophone === true);
  const muted = voice?.isMuted === true;
  byId('mute', HTMLButtonElement).setAttribute('aria-pressed', String(muted));
  byId('mute-label', HTMLElement).textContent = muted ? 'Unmute' : 'Mute';
  status.set(s.state, s.text);
  byId('stage', HTMLElement).dataset.video = f.lastFrameAt === null ? 'none' : 'live';
}

const view: AppView = {
  lists() {
    renderParticipants(participantsList, app.participants, app.participantId);
    renderAnnotations(annotationsList, app.annotations, app.pending, app.selected, app.equipment, {
      select: (id) => app.select(id === app.selected ? null : id),
      remove: (id) => app.remove(id),
    });
    byId('participants-count', HTMLElement).textContent = String(app.participants.length);
    byId('annotations-count', HTMLElement).textContent = String(app.annotations.length);
  },
  pending() {
    marks.pending(app.pending, stage.videoRect());
  },
  status: refreshStatus,
  notice: (code, detail) => messages.show(code, detail),
  leave: () => signaling.close(),
  reconnect: () => (signaling = openSignaling()),
  dropConnection: () => {
    signaling.abandon();
    app.socketClosed({ code: 1006, reason: 'the connection was lost', wasOpen: true });
  },
  video(stream) {
    freeze.unfreeze(); // A new stream is live video.
    video.srcObject = stream;
    video.play().catch(() => {
      // Muted autoplay is allowed; a refusal leaves the video paused until a click.
    });
  },
};
const app = new App(config, (m) => signaling.send(m), sync, view);
const freeze = new FreezeControl(
  byId('freeze', HTMLButtonElement),
  byId('frozen-badge', HTMLElement),
  byId('stage', HTMLElement),
  video,
  sync,
  refreshStatus,
);
view.lists();
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
    toggleMute: () => app.setMuted(!(app.voice?.isMuted ?? false)),
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

const timing = { pageOpen, firstFrame: null as number | null, roundTrips: app.roundTrips };
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

byId('mute', HTMLButtonElement).addEventListener('click', () => app.setMuted(!(app.voice?.isMuted ?? false)));
// Browsers play sound once the person has interacted with the page.
document.addEventListener('pointerdown', () => app.voice?.resume());

installTestHooks({
  heardLevel: () => app.voice?.heardLevel() ?? SILENCE_DBFS,
  micLevel: () => app.voice?.micLevel() ?? SILENCE_DBFS,
  logVoiceOnsets: () => app.voice?.logOnsets(),
  voiceOnsets: () => app.voice?.onsets() ?? [],
  get muted() {
    return app.voice?.isMuted ?? false;
  },
  get displayed() {
    return sync.displayed;
  },
  annotations: () => app.annotations,
  framesDecoded: () => app.peer?.framesDecoded() ?? Promise.resolve(0),
  videoInbound: () => app.peer?.videoInbound() ?? Promise.resolve(null),
  voiceJitterBufferMs: () => app.peer?.voiceJitterBufferMs() ?? Promise.resolve(null),
  transport: () => app.peer?.transportProtocol() ?? Promise.resolve(null),
  videoRect: () => stage.videoRect(),
  overlayCanvas: overlay,
  drawnPositions: () => renderer.drawnPositions(),
  messages: () => messages.list().map(({ code, text }) => ({ code, text })),
  timing,
  get samples() {
    return sync.samples;
  },
  get participantId() {
    return app.participantId;
  },
  get frozen() {
    return freeze.frozen;
  },
});

window.addEventListener('pagehide', () => {
  app.leave();
  app.peer?.close();
  app.voice?.close();
});
