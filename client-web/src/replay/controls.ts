// The player's controls: play/pause, frame steps, speed, hiding the marks, the seek bar and
// the clock, with keyboard shortcuts (Space, comma, full stop, H).
import { SPEEDS, formatMediaTime } from './format';
import type { ReplayPlayer } from './player';

export interface ControlElements {
  video: HTMLVideoElement;
  play: HTMLButtonElement;
  playLabel: HTMLElement;
  stepBack: HTMLButtonElement;
  stepForward: HTMLButtonElement;
  speed: HTMLSelectElement;
  hideMarks: HTMLInputElement;
  clock: HTMLElement;
  seek: HTMLInputElement;
}

export function wireControls(player: ReplayPlayer, e: ControlElements, onPlayhead: (ms: number) => void): void {
  const { video } = e;
  const togglePlay = () => {
    player.voices.listen(); // A click: the browser lets sound start now.
    if (video.paused) void video.play().catch(() => undefined);
    else video.pause();
  };
  const showPlaying = () => (e.playLabel.textContent = video.paused ? 'Play' : 'Pause');
  video.addEventListener('play', showPlaying);
  video.addEventListener('pause', showPlaying);
  e.play.addEventListener('click', togglePlay);
  e.stepBack.addEventListener('click', () => player.step(-1));
  e.stepForward.addEventListener('click', () => player.step(1));

  e.speed.replaceChildren(
    ...SPEEDS.map((s) => {
      const option = document.createElement('option');
      option.value = String(s);
      option.textContent = `${s}×`;
      option.selected = s === 1;
      return option;
    }),
  );
  e.speed.addEventListener('change', () => (video.playbackRate = Number(e.speed.value)));
  e.hideMarks.addEventListener('change', () => player.setMarksHidden(e.hideMarks.checked));

  let dragging = false;
  e.seek.addEventListener('input', () => {
    dragging = true;
    player.seek(Number(e.seek.value));
  });
  e.seek.addEventListener('change', () => (dragging = false));
  const showTime = () => {
    const duration = player.durationMs;
    e.seek.max = String(Math.round(duration));
    if (!dragging) e.seek.value = String(Math.round(player.nowMs));
    e.clock.textContent = `${formatMediaTime(player.nowMs)} / ${formatMediaTime(duration, false)}`;
    onPlayhead(player.nowMs);
  };
  player.onFrame = showTime;
  video.addEventListener('durationchange', showTime);
  video.addEventListener('seeked', showTime);
  showTime();

  document.addEventListener('keydown', (k) => {
    // A focused control keeps its own keys: Space presses a button or ticks a box, and a
    // note's field takes every key.
    const t = k.target;
    if (t instanceof HTMLInputElement && t.type === 'text') return;
    const pressable = t instanceof HTMLButtonElement || t instanceof HTMLSelectElement || t instanceof HTMLInputElement;
    if (pressable && k.key === ' ') return;
    if (k.key === ' ') togglePlay();
    else if (k.key === ',') player.step(-1);
    else if (k.key === '.') player.step(1);
    else if (k.key === 'h' || k.key === 'H') {
      e.hideMarks.checked = !e.hideMarks.checked;
      player.setMarksHidden(e.hideMarks.checked);
    } else return;
    k.preventDefault();
  });
}
