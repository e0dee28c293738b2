// Reads a headset's log in OpenXR mode and prints, for each mark, the time from the headset
// resolving it ("mark resolved … resolved_at_unix_us") to the update that first draws it in the
// eyes ("annotation in the view … shown_at_unix_us"), in ms and in XR frames at the frame
// loop's measured rate ("XR frame loop fps=…"). Usage: node xr-mark-latency.mjs HEADSET_LOG
import { readFileSync } from 'node:fs';

const log = readFileSync(process.argv[2], 'utf8').replace(/\x1b\[[0-9;]*m/g, '');
const resolved = new Map();
const shown = new Map();
const rates = [];
for (const line of log.split('\n')) {
  const id = /\bid=(\S+)/.exec(line)?.[1];
  const at = (key) => Number(new RegExp(`${key}=(\\d+)`).exec(line)?.[1]);
  if (line.includes('mark resolved') && id) resolved.set(id, at('resolved_at_unix_us'));
  if (line.includes('annotation in the view') && id && !shown.has(id)) shown.set(id, at('shown_at_unix_us'));
  const fps = /XR frame loop fps=([\d.]+)/.exec(line)?.[1];
  if (fps) rates.push(Number(fps));
}
// The rate once rendering runs (the first report includes start-up).
const fps = rates.length > 1 ? rates.slice(1).reduce((a, b) => a + b, 0) / (rates.length - 1) : rates[0];
let printed = 0;
for (const [id, from] of resolved) {
  const to = shown.get(id);
  if (!Number.isFinite(from) || !Number.isFinite(to)) continue;
  const ms = (to - from) / 1000;
  console.log(
    `mark ${id}: resolved -> in the XR views ${ms.toFixed(0)} ms` +
      (fps ? `, ${((ms * fps) / 1000 + 1).toFixed(1)} XR frames at ${fps.toFixed(1)} frames/s (the update that draws it included)` : ''),
  );
  printed++;
}
if (printed === 0) console.log('no mark was both resolved and shown in this log');
