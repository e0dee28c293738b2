// Helpers for the expert page's end-to-end tests. The pinhole math here is written again on
// purpose (not imported from the page) so that the tests check the page's own math.
import { appendFileSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, type APIRequestContext, type Browser, type Page } from '@playwright/test';
import type { Annotation, ClientMessage, FrameMeta, Role, RoomSnapshot } from '../src/generated/protocol';
// Types only (they also declare `window.__spotter`); no page code is imported.
import type { SpotterHooks } from '../src/testHooks';

export type Hooks = SpotterHooks;

export const SPOTTER_URL = (process.env.SPOTTER_URL ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
export const ROOM = 'demo';
/** The admin key the test script gave the server: for invites and reading the room. */
const ADMIN_KEY = process.env.SPOTTER_ADMIN_KEY ?? '';
export const PINK = '#ff2d95';

export type V3 = [number, number, number];
export type Q = [number, number, number, number];
export interface PageRect {
  x: number;
  y: number;
  width: number;
  height: number;
}
export interface Shown {
  rtpTimestamp: number;
  frame: FrameMeta;
}

// ---- The factory ---------------------------------------------------------------------------

export interface Equipment {
  id: string;
  /** The human name the headset reports and the page shows. */
  name: string;
  position: V3;
  yaw_deg: number;
  marker: V3;
}

export function loadEquipment(): Equipment[] {
  const path =
    process.env.SPOTTER_FACTORY ??
    fileURLToPath(new URL('../../assets/factory.json', import.meta.url));
  const factory = JSON.parse(readFileSync(path, 'utf8')) as { equipment: Equipment[] };
  return factory.equipment;
}

export function equipment(id: string): Equipment {
  const e = loadEquipment().find((x) => x.id === id);
  if (!e) throw new Error(`no equipment ${id} in factory.json`);
  return e;
}

/** World position of an equipment's marker: Ry(yaw) · marker + position. */
export function markerWorld(e: Equipment): V3 {
  const t = (e.yaw_deg * Math.PI) / 180;
  const [x, y, z] = e.marker;
  const c = Math.cos(t);
  const s = Math.sin(t);
  return [c * x + s * z + e.position[0], y + e.position[1], -s * x + c * z + e.position[2]];
}

// ---- Pinhole math (independent of the page's) ------------------------------------------------

/** Rotates `v` by the unit quaternion `q` = [x, y, z, w] via its rotation matrix. */
export function rotateByQuat(q: Q, v: V3): V3 {
  const [x, y, z, w] = q;
  const m = [
    [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
    [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
    [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
  ] as const;
  return m.map((row) => row[0] * v[0] + row[1] * v[1] + row[2] * v[2]) as V3;
}

/** World position of point `i` of an annotation: anchor rotation · p + anchor position. */
export function annotationWorldPoint(a: Annotation, i: number): V3 {
  const p = a.points[i];
  if (!p) throw new Error(`annotation ${a.id} has no point ${i}`);
  const r = rotateByQuat(a.anchor.pose.rotation, p);
  const t = a.anchor.pose.position;
  return [r[0] + t[0], r[1] + t[1], r[2] + t[2]];
}

/** The key point: a point annotation's point, an arrow's head. */
export function keyWorldPoint(a: Annotation): V3 {
  return annotationWorldPoint(a, a.kind === 'arrow' ? 1 : 0);
}

/** Normalised image coordinates (0..1, origin top-left) of `world` in `frame`, null if behind. */
export function projectNormalized(frame: Pick<FrameMeta, 'pose' | 'intrinsics'>, world: V3): [number, number] | null {
  const { pose, intrinsics: k } = frame;
  const [qx, qy, qz, qw] = pose.rotation;
  const d: V3 = [world[0] - pose.position[0], world[1] - pose.position[1], world[2] - pose.position[2]];
  const local = rotateByQuat([-qx, -qy, -qz, qw], d); // Camera ← world.
  if (local[2] >= -1e-6) return null;
  const px = k.cx + (k.fx * local[0]) / -local[2];
  const py = k.cy - (k.fy * local[1]) / -local[2];
  return [px / k.width, py / k.height];
}

/** Page CSS pixels of `world` on the displayed video rectangle `rect`. */
export function projectToPage(frame: FrameMeta, rect: PageRect, world: V3): [number, number] | null {
  const n = projectNormalized(frame, world);
  return n ? [rect.x + n[0] * rect.width, rect.y + n[1] * rect.height] : null;
}

/** Distance between two world points, metres. */
export function dist3(a: V3, b: V3): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
}

export function dist(a: readonly number[], b: readonly number[]): number {
  return Math.hypot((a[0] ?? 0) - (b[0] ?? 0), (a[1] ?? 0) - (b[1] ?? 0));
}

// ---- The page ------------------------------------------------------------------------------

export const pointer = {
  async clickAt(page: Page, x: number, y: number): Promise<void> {
    await page.mouse.move(x, y);
    await page.mouse.down();
    await page.mouse.up();
  },
  async dragFromTo(page: Page, from: [number, number], to: [number, number]): Promise<void> {
    await page.mouse.move(from[0], from[1]);
    await page.mouse.down();
    await page.mouse.move(to[0], to[1], { steps: 8 });
    await page.mouse.up();
  },
};

type AnnotateMessage = Extract<ClientMessage, { type: 'annotate' }>;
const sentByPage = new WeakMap<Page, ClientMessage[]>();

/** The annotate requests `page` sent on its signaling socket so far (pages from `openExpert`). */
export function sentAnnotates(page: Page): AnnotateMessage[] {
  return (sentByPage.get(page) ?? []).filter((m): m is AnnotateMessage => m.type === 'annotate');
}

/** Opens an expert page in its own browser context and waits for live video with camera data. */
export async function openExpert(browser: Browser, name: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') console.log(`[${name} console] ${m.text()}`);
  });
  const sent: ClientMessage[] = [];
  sentByPage.set(page, sent);
  page.on('websocket', (ws) => {
    ws.on('framesent', (f) => {
      if (typeof f.payload !== 'string') return;
      try {
        sent.push(JSON.parse(f.payload) as ClientMessage);
      } catch {
        // Not JSON: not a protocol message.
      }
    });
  });
  await page.goto(`${await invite('expert')}&name=${encodeURIComponent(name)}`);
  await waitForVideo(page);
  return page;
}

/** Opens a page for `role` (observer, trainer) in its own browser context and waits until it joined. */
export async function openViewer(browser: Browser, role: Role, name: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${await invite(role)}&name=${encodeURIComponent(name)}`);
  await page.waitForFunction(() => window.__spotter?.participantId != null, undefined, { timeout: 30_000 });
  return page;
}

/** Waits until `page` displays the headset's video with its camera data. */
export async function waitForVideo(page: Page): Promise<void> {
  await page.waitForFunction(() => window.__spotter?.displayed != null, undefined, {
    timeout: 30_000,
  });
}

export async function closePage(page: Page): Promise<void> {
  await page.context().close();
}

/** The frame the overlay currently uses and the displayed video rectangle, read together. */
export async function shownNow(page: Page): Promise<{ shown: Shown; rect: PageRect }> {
  const r = await page.evaluate(() => {
    const s = window.__spotter;
    const d = s?.displayed;
    const rect = s?.videoRect();
    return d && rect ? { shown: { rtpTimestamp: d.rtpTimestamp, frame: d.frame }, rect } : null;
  });
  if (!r) throw new Error('no displayed frame or video rectangle');
  return r;
}

/**
 * The next frame the page displays and the video rectangle, read as soon as it is displayed
 * (the page's own timers, not a round trip each): a click aimed with it has nearly the whole
 * frame interval to land before the video moves on. While frozen, the frame on screen (it
 * stays); with no new frame within `timeoutMs`, the frame on screen too.
 */
export async function nextShown(page: Page, timeoutMs = 2_000): Promise<{ shown: Shown; rect: PageRect }> {
  const r = await page.evaluate(
    (timeoutMs) =>
      new Promise<{ shown: Shown; rect: PageRect } | null>((resolve) => {
        const s = window.__spotter;
        const before = s?.displayed?.rtpTimestamp;
        const end = performance.now() + timeoutMs;
        const look = () => {
          const d = s?.displayed;
          const rect = s?.videoRect();
          if (d && rect && (d.rtpTimestamp !== before || s.frozen || performance.now() > end)) {
            resolve({ shown: { rtpTimestamp: d.rtpTimestamp, frame: d.frame }, rect });
          } else if (performance.now() > end) {
            resolve(null);
          } else {
            setTimeout(look, 2);
          }
        };
        look();
      }),
    timeoutMs,
  );
  if (!r) throw new Error('no displayed frame or video rectangle');
  return r;
}

/**
 * Waits until every one of `points` projects into the displayed frame at least `margin`
 * (normalised) from its edges: the camera sweeps, and some equipment leaves the view.
 */
export async function waitUntilInView(
  page: Page,
  points: readonly V3[],
  margin = 0.1,
  timeoutMs = 20_000,
): Promise<{ shown: Shown; rect: PageRect }> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const now = await shownNow(page);
    const inside = points.every((p) => {
      const n = projectNormalized(now.shown.frame, p);
      return n?.every((c) => c >= margin && c <= 1 - margin) ?? false;
    });
    if (inside) return now;
    if (Date.now() > end) throw new Error(`the points did not come into view within ${timeoutMs} ms`);
    await page.waitForTimeout(50);
  }
}

export interface Invite {
  url: string;
  token: string;
  /** For a trainer: the room's recordings. */
  recordings_url?: string;
}

/** An invite for `role` in the test room, from the server's admin API. */
export async function newInvite(role: Role): Promise<Invite> {
  const res = await fetch(`${SPOTTER_URL}/api/admin/rooms/${ROOM}/invites`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ role }),
  });
  expect(res.status, `an invite for ${role} (is SPOTTER_ADMIN_KEY set?)`).toBe(201);
  return (await res.json()) as Invite;
}

/** An invite link for `role` in the test room. */
export async function invite(role: Role): Promise<string> {
  return (await newInvite(role)).url;
}

/** The server's Prometheus metrics (they need the admin key or the metrics token). */
export async function metricsText(request: APIRequestContext): Promise<string> {
  const res = await request.get(`${SPOTTER_URL}/metrics`, {
    headers: { authorization: `Bearer ${ADMIN_KEY}` },
  });
  expect(res.ok(), `GET /metrics: ${res.status()}`).toBe(true);
  return res.text();
}

export async function room(request: APIRequestContext): Promise<RoomSnapshot> {
  const res = await request.get(`${SPOTTER_URL}/api/rooms/${ROOM}`, {
    headers: { authorization: `Bearer ${ADMIN_KEY}` },
  });
  expect(res.ok(), `GET /api/rooms/${ROOM}: ${res.status()}`).toBe(true);
  return (await res.json()) as RoomSnapshot;
}

/** Waits until the room has an annotation not in `known` and returns it. */
export async function newAnnotation(
  request: APIRequestContext,
  known: ReadonlySet<string>,
  timeoutMs = 15_000,
): Promise<Annotation> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const fresh = (await room(request)).annotations.find((a) => !known.has(a.id));
    if (fresh) return fresh;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('no new annotation appeared in the room');
}

/**
 * Clicks the currently displayed projection of equipment `id`'s marker and returns the
 * annotation the room gained. With `anyFrame`, a mark placed on a frame that replaced the one
 * aimed with (so near the marker, not on it) is kept: for timing, where the place is moot.
 */
export async function pointAtEquipment(
  page: Page,
  request: APIRequestContext,
  id: string,
  { anyFrame = false } = {},
): Promise<{ annotation: Annotation; clicked: [number, number]; marker: V3 }> {
  const marker = markerWorld(equipment(id));
  // The click is aimed with the frame read just before it; should the video move on to another
  // frame in between, the mark is placed on that frame (correctly, but not on the marker):
  // delete it and click again.
  for (let attempt = 1; attempt <= 5; attempt++) {
    const known = new Set((await room(request)).annotations.map((a) => a.id));
    await waitUntilInView(page, [marker], 0.1);
    const { shown, rect } = await nextShown(page);
    const at = projectToPage(shown.frame, rect, marker);
    if (!at) throw new Error(`${id}'s marker is behind the camera`);
    await pointer.clickAt(page, at[0], at[1]);
    const annotation = await newAnnotation(request, known);
    if (anyFrame || annotation.frame_rtp_timestamp === shown.rtpTimestamp) return { annotation, clicked: at, marker };
    console.log(`attempt ${attempt}: the frame changed before the click; clicking again`);
    await deleteViaPage(page, annotation, request);
  }
  throw new Error('the displayed frame changed before every click');
}

/**
 * Clicks the displayed video at (`fx`, `fy`), fractions of its width and height, and returns
 * the annotation the room gained and the frame shown when clicking.
 */
export async function clickInVideo(
  page: Page,
  request: APIRequestContext,
  fx: number,
  fy: number,
): Promise<{ annotation: Annotation; shown: Shown }> {
  const known = new Set((await room(request)).annotations.map((a) => a.id));
  const { shown, rect } = await nextShown(page);
  await pointer.clickAt(page, rect.x + rect.width * fx, rect.y + rect.height * fy);
  return { annotation: await newAnnotation(request, known), shown };
}

/** Deletes `a` with its delete button and waits until the API no longer lists it. */
export async function deleteViaPage(page: Page, a: Annotation, request: APIRequestContext): Promise<void> {
  await page.locator(`[data-annotation-id="${a.id}"] button[data-action="delete"]`).click();
  await expect
    .poll(async () => (await room(request)).annotations.some((x) => x.id === a.id), { timeout: 10_000 })
    .toBe(false);
}

/** Deletes every annotation in the room with the page's delete buttons. */
export async function clearAnnotations(page: Page, request: APIRequestContext): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const { annotations } = await room(request);
    if (annotations.length === 0) return;
    for (const a of annotations) {
      const button = page.locator(`[data-annotation-id="${a.id}"] button[data-action="delete"]`);
      if (await button.count()) await button.click();
    }
    await page.waitForTimeout(300);
  }
  throw new Error('could not clear the room');
}

/** Freezes (`true`) or unfreezes the view with key F or the toolbar button and waits for it. */
export async function setFrozen(page: Page, frozen: boolean, via: 'key' | 'button' = 'key'): Promise<void> {
  if ((await page.evaluate(() => window.__spotter?.frozen)) === frozen) return;
  if (via === 'key') await page.keyboard.press('f');
  else await page.locator('#freeze').click();
  await page.waitForFunction((want) => window.__spotter?.frozen === want, frozen);
}

export interface OverlayPixels {
  /** Where the overlay drew the annotation's key point (page CSS pixels), when asked by id. */
  drawn: { x: number; y: number; rtpTimestamp: number } | null;
  /** The frame and video rectangle of that same moment. */
  shown: Shown | null;
  rect: PageRect | null;
  /** Overlay pixels of the colour within the radius, and their centroid in page CSS pixels. */
  count: number;
  centroid: [number, number] | null;
}

/**
 * Reads the overlay canvas (WebGL, preserveDrawingBuffer) around where annotation `target.id`
 * is drawn now, or around the page point `target.at`, and counts the opaque pixels of `color`
 * within `radius` CSS pixels. The drawn position, frame and pixels are read in one task, so
 * they belong to the same render.
 */
export async function overlayPixels(
  page: Page,
  target: { id: string } | { at: [number, number] },
  color: string,
  radius = 6,
): Promise<OverlayPixels> {
  const rgb = [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16));
  return page.evaluate(
    ({ target, rgb, radius }) => {
      const none = { drawn: null, shown: null, rect: null, count: 0, centroid: null };
      const s = window.__spotter;
      if (!s) return none;
      const d = s.displayed;
      const rect = s.videoRect();
      const shown = d ? { rtpTimestamp: d.rtpTimestamp, frame: d.frame } : null;
      let at: [number, number];
      let drawn: OverlayPixels['drawn'] = null;
      if ('id' in target) {
        const p = s.drawnPositions().find((x) => x.id === target.id);
        if (!p?.inFront) return { ...none, shown, rect };
        drawn = { x: p.x, y: p.y, rtpTimestamp: p.rtpTimestamp };
        at = [p.x, p.y];
      } else {
        at = target.at;
      }
      const canvas = s.overlayCanvas;
      const box = canvas.getBoundingClientRect();
      if (box.width === 0 || box.height === 0) return { ...none, drawn, shown, rect };
      const scale = canvas.width / box.width;
      const cx = (at[0] - box.left) * scale;
      const cy = (at[1] - box.top) * scale;
      const r = radius * scale;
      const x0 = Math.max(0, Math.floor(cx - r));
      const y0 = Math.max(0, Math.floor(cy - r));
      const x1 = Math.min(canvas.width, Math.ceil(cx + r));
      const y1 = Math.min(canvas.height, Math.ceil(cy + r));
      const w = x1 - x0;
      const h = y1 - y0;
      if (w <= 0 || h <= 0) return { ...none, drawn, shown, rect };
      const copy = document.createElement('canvas');
      copy.width = w;
      copy.height = h;
      const ctx = copy.getContext('2d', { willReadFrequently: true });
      if (!ctx) return { ...none, drawn, shown, rect };
      ctx.drawImage(canvas, x0, y0, w, h, 0, 0, w, h);
      const data = ctx.getImageData(0, 0, w, h).data;
      let count = 0;
      let sx = 0;
      let sy = 0;
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const px = x0 + x + 0.5;
          const py = y0 + y + 0.5;
          if (Math.hypot(px - cx, py - cy) > r) continue;
          const i = (y * w + x) * 4;
          const alpha = data[i + 3] ?? 0;
          const close = [0, 1, 2].every((c) => Math.abs((data[i + c] ?? 0) - (rgb[c] ?? 0)) <= 40);
          if (alpha >= 200 && close) {
            count++;
            sx += px;
            sy += py;
          }
        }
      }
      const centroid: [number, number] | null = count
        ? [box.left + sx / count / scale, box.top + sy / count / scale]
        : null;
      return { drawn, shown, rect, count, centroid };
    },
    { target, rgb, radius },
  );
}

export interface VideoPixels {
  /** Pink pixels of the decoded video within the radius. */
  count: number;
  /** Their centroid minus the projected point, video pixels (0, 0 when there are none). */
  dx: number;
  dy: number;
}

/**
 * Counts the pink pixels (the headset's annotation colour, after video compression) of the
 * `<video>`'s current frame within `radius` video pixels of the normalised point `uv` (0..1,
 * origin top-left, as from `projectNormalized`), and their centroid's offset from that point.
 * When `rect` (the displayed video rectangle) is given, the radius is at least `radius` page
 * CSS pixels too. `uv` scaled by the video size is in continuous pixel coordinates from the
 * top-left corner: pixel (x, y) covers [x, x+1) × [y, y+1), so its centre is (x+0.5, y+0.5).
 * Null when the video has no frame.
 */
export async function videoPinkPixels(
  page: Page,
  uv: [number, number],
  radius: number,
  rect?: PageRect,
): Promise<VideoPixels | null> {
  return pinkPixelsIn(page, null, uv, radius, rect?.width ?? null);
}

/**
 * The same count in a PNG picture (`png`'s bytes), decoded by the browser in `page`: one with
 * no content security policy to refuse a data: URL, such as a blank page.
 */
export async function picturePinkPixels(
  page: Page,
  png: Buffer,
  uv: [number, number],
  radius: number,
): Promise<VideoPixels | null> {
  return pinkPixelsIn(page, png.toString('base64'), uv, radius, null);
}

async function pinkPixelsIn(
  page: Page,
  pngBase64: string | null,
  uv: [number, number],
  radius: number,
  rectWidth: number | null,
): Promise<VideoPixels | null> {
  return page.evaluate(
    async ({ png, uv, radius, rectWidth }) => {
      let source: CanvasImageSource;
      let w: number;
      let h: number;
      if (png !== null) {
        const blob = await (await fetch(`data:image/png;base64,${png}`)).blob();
        const bitmap = await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
        [source, w, h] = [bitmap, bitmap.width, bitmap.height];
      } else {
        const video = document.querySelector('video');
        if (!video || video.videoWidth === 0) return null;
        [source, w, h] = [video, video.videoWidth, video.videoHeight];
      }
      const canvas = document.createElement('canvas');
      canvas.width = w;
      canvas.height = h;
      const ctx = canvas.getContext('2d', { willReadFrequently: true });
      if (!ctx) return null;
      ctx.drawImage(source, 0, 0, w, h);
      const r = rectWidth ? Math.max(radius, (radius * w) / rectWidth) : radius;
      const cx = uv[0] * w;
      const cy = uv[1] * h;
      const x0 = Math.max(0, Math.floor(cx - r));
      const y0 = Math.max(0, Math.floor(cy - r));
      const x1 = Math.min(w, Math.ceil(cx + r));
      const y1 = Math.min(h, Math.ceil(cy + r));
      if (x1 <= x0 || y1 <= y0) return { count: 0, dx: 0, dy: 0 };
      const data = ctx.getImageData(x0, y0, x1 - x0, y1 - y0).data;
      let count = 0;
      let sx = 0;
      let sy = 0;
      for (let y = y0; y < y1; y++) {
        for (let x = x0; x < x1; x++) {
          const px = x + 0.5;
          const py = y + 0.5;
          if (Math.hypot(px - cx, py - cy) > r) continue;
          const i = ((y - y0) * (x1 - x0) + (x - x0)) * 4;
          const red = data[i] ?? 0;
          const green = data[i + 1] ?? 255;
          const blue = data[i + 2] ?? 0;
          if (red > 170 && green < 110 && blue > 90 && red - green > 90) {
            count++;
            sx += px;
            sy += py;
          }
        }
      }
      return count ? { count, dx: sx / count - cx, dy: sy / count - cy } : { count, dx: 0, dy: 0 };
    },
    { png: pngBase64, uv, radius, rectWidth },
  );
}

/**
 * Polls the displayed video for up to `ms` until at least `least` pink pixels lie near where
 * the displayed frame projects `world`; returns the best read.
 */
export async function pinkPixelsAtPoint(page: Page, world: V3, ms: number, least = 3): Promise<VideoPixels> {
  let best: VideoPixels = { count: 0, dx: 0, dy: 0 };
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const { shown, rect } = await shownNow(page);
    const uv = projectNormalized(shown.frame, world);
    expect(uv, 'the point is in front of the camera').not.toBeNull();
    if (!uv) break;
    const read = (await videoPinkPixels(page, uv, 25, rect)) ?? { count: 0, dx: 0, dy: 0 };
    if (read.count >= best.count) best = read;
    if (best.count >= least) break;
    await page.waitForTimeout(200);
  }
  return best;
}

/** The headset's "voice heard" reports from its log (one per 5 s), oldest first. */
export function headsetVoiceReports(): { frames: number; voices: number; loudest: number }[] {
  return headsetLogLines('voice heard').map((l) => ({
      frames: Number(/frames=(\d+)/.exec(l)?.[1] ?? 0),
      voices: Number(/voices=(\d+)/.exec(l)?.[1] ?? 0),
      loudest: Number(/loudest_dbfs=(-?[\d.]+)/.exec(l)?.[1] ?? -100),
    }));
}

/** The headset's log lines (colours stripped) that contain `marker`, oldest first. */
export function headsetLogLines(marker: string): string[] {
  const path = process.env.SPOTTER_HEADSET_LOG;
  if (!path) throw new Error('SPOTTER_HEADSET_LOG is not set (the test script sets it)');
  const plain = readFileSync(path, 'utf8').replace(/\x1b\[[0-9;]*m/g, ''); // eslint-disable-line no-control-regex
  return plain.split('\n').filter((l) => l.includes(marker));
}

/**
 * When the headset's simulated voice begins its words: the latest session's schedule (a word
 * every `periodMs` from `originMs`, wall clock), from its log; null before it talks.
 */
export function headsetWordSchedule(): { originMs: number; periodMs: number } | null {
  const originMs = latestHeadsetField('simulated voice', 'first_word_unix_ms');
  const periodMs = latestHeadsetField('simulated voice', 'word_period_ms');
  return originMs !== null && periodMs !== null ? { originMs, periodMs } : null;
}

/**
 * Listens in `page` for `ms` and returns, for each word of the headset's voice heard begin,
 * how long after it was "spoken" it reached the page's audio graph (ms; one clock here).
 */
export async function mouthToEarDelays(page: Page, ms: number): Promise<number[]> {
  await page.evaluate(() => window.__spotter?.logVoiceOnsets());
  const from = (await page.evaluate(() => window.__spotter?.voiceOnsets().length)) ?? 0;
  await page.waitForTimeout(ms);
  const onsets = await page.evaluate((n) => (window.__spotter?.voiceOnsets() ?? []).slice(n), from);
  const schedule = headsetWordSchedule();
  if (!schedule) throw new Error("the headset's log has no voice schedule");
  const { originMs, periodMs } = schedule;
  // Each onset belongs to the latest word begun before it: right while delays stay under the
  // 1.6 s between words.
  return onsets.map((t) => t - (originMs + Math.floor((t - originMs) / periodMs) * periodMs));
}

/** The page's mean jitter-buffer wait for voice, for printing next to mouth-to-ear. */
export async function voiceJitterBuffer(page: Page): Promise<string> {
  const ms = await page.evaluate(() => window.__spotter?.voiceJitterBufferMs() ?? Promise.resolve(null));
  return ms === null ? 'no voice received' : `jitter buffer ${ms.toFixed(0)} ms on average`;
}

/** "median …, p95 …, max … ms over n words" for printing. */
export function describeDelays(delays: readonly number[]): string {
  if (delays.length === 0) return 'no word heard begin';
  return (
    `median ${percentile(delays, 50).toFixed(1)} ms, p95 ${percentile(delays, 95).toFixed(1)} ms, ` +
    `max ${Math.max(...delays).toFixed(1)} ms over ${delays.length} words`
  );
}

/**
 * Types a command on the headset's standard input (`record`, `stop`, `toggle`): the test
 * script feeds it from the FIFO named in SPOTTER_HEADSET_COMMANDS.
 */
export function headsetCommand(line: string): void {
  const path = process.env.SPOTTER_HEADSET_COMMANDS;
  if (!path) throw new Error('SPOTTER_HEADSET_COMMANDS is not set (the test script sets it)');
  appendFileSync(path, `${line}\n`);
}

/**
 * The recording light in the headset's own view, from its latest log line: who started the
 * recording it shows (a participant id, or "the server"), 'off', or null before any change.
 */
export function headsetRecordingLight(): string | null {
  const last = headsetLogLines('recording light').at(-1);
  if (last === undefined) return null;
  if (last.includes('recording light off')) return 'off';
  const by = /started_by=(?:"([^"]*)"|(\S+))/.exec(last);
  return by?.[1] ?? by?.[2] ?? 'on';
}

/**
 * The words of the status panel in the headset's own view (its eyes, in XR mode), from its
 * latest log line: its lines joined with " | ", or null before it showed any.
 */
export function headsetStatusPanel(): string | null {
  const last = headsetLogLines('status panel panel=').at(-1);
  return last === undefined ? null : last.slice(last.indexOf('panel=') + 'panel='.length).trim();
}

/** How many times the headset's log says it joined (a rejoin adds one). */
export function headsetJoins(): number {
  return headsetLogLines('joined as technician').length;
}

/** Percentile `p` (0–100) of `values`, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

/** The headset's latest count of retransmitted video packets (its 5 s "video repairs" report). */
export function headsetRetransmissions(): number | null {
  return latestHeadsetField('video repairs', 'retransmitted');
}

/** The video bitrate the headset's encoder aims at, from its latest 5 s report (kbit/s). */
export function headsetVideoKbps(): number | null {
  return latestHeadsetField('headset frames per second', 'video_kbps');
}

/**
 * When the headset first drew annotation `id` in its view (Unix µs, the capture time of the
 * first frame showing it), from its log; null until it has.
 */
export function headsetShownUs(id: string): number | null {
  const line = headsetLogLines('annotation in the view').find((l) => l.includes(`id=${id}`));
  const value = line ? /shown_at_unix_us=(\d+)/.exec(line)?.[1] : undefined;
  return value === undefined ? null : Number(value);
}

/**
 * Glass to glass for each frame the page displayed (ms): the headset's capture time → the
 * frame's expected display time, both on the Unix clock (one machine).
 */
export async function glassToGlassDelays(page: Page): Promise<number[]> {
  return page.evaluate(() =>
    (window.__spotter?.samples ?? [])
      .filter((s) => s.headsetCaptureTimeUs !== null)
      .map((s) => performance.timeOrigin + s.expectedDisplayTime - (s.headsetCaptureTimeUs ?? 0) / 1000),
  );
}

/** Numeric field `field` of the latest headset log line containing `marker`. */
function latestHeadsetField(marker: string, field: string): number | null {
  const last = headsetLogLines(marker).at(-1);
  const value = last ? new RegExp(`${field}=(-?[\\d.]+)`).exec(last)?.[1] : undefined;
  return value === undefined ? null : Number(value);
}

/** Waits until the page hears the headset's voice (louder than -40 dBFS). */
export async function expectHeadsetHeard(page: Page, timeout = 10_000): Promise<void> {
  await expect
    .poll(() => page.evaluate(() => window.__spotter?.heardLevel() ?? -100), { timeout })
    .toBeGreaterThan(-40);
}

/** Frames per second the page decodes over the next `seconds`. */
export async function decodedFps(page: Page, seconds: number): Promise<number> {
  const decoded = () => page.evaluate(() => window.__spotter?.framesDecoded() ?? Promise.resolve(0));
  const before = await decoded();
  await page.waitForTimeout(seconds * 1000);
  return ((await decoded()) - before) / seconds;
}

/** The headset's frame-rate reports (one per 5 s, each over the 5 s before it): wall-clock ms and fps. */
function headsetFpsReports(): { at: number; fps: number }[] {
  return headsetLogLines('headset frames per second').flatMap((l) => {
    const at = Date.parse(l.split(/\s+/)[0] ?? '');
    const fps = Number(/ fps=([\d.]+)/.exec(l)?.[1]);
    return Number.isFinite(at) && Number.isFinite(fps) ? [{ at, fps }] : [];
  });
}

/**
 * The frames per second the headset sent between wall-clock ms `start` and `end`: the mean of
 * its reports from 2.5 s after `start` up to the first at or after `end` (each covers the 5 s
 * before it, and they come about every 5 s, later under load).
 */
export async function headsetSentFps(start: number, end: number): Promise<number> {
  const closing = () => headsetFpsReports().find((r) => r.at >= end);
  await expect.poll(() => closing() !== undefined, { timeout: 12_000, message: "the headset's frame-rate report" }).toBe(true);
  const last = closing()?.at ?? end;
  // That last one always, even when it comes within 2.5 s of `start` (a short window).
  const reports = headsetFpsReports().filter((r) => r.at === last || (r.at > start + 2500 && r.at < last));
  return reports.reduce((sum, r) => sum + r.fps, 0) / reports.length;
}

/**
 * Frames per second the page decodes over the next `seconds`, beside those the headset sent
 * meanwhile. The headset renders on the CPU (lavapipe) that the browser decodes on, so what it
 * sends varies with the machine's load (3.5 to 14 frames/s seen at 640x360): what the link and
 * the server are answerable for is the share of its frames that reach the page, never a fixed
 * rate.
 */
export async function decodedBesideSent(page: Page, seconds: number): Promise<{ decoded: number; sent: number; share: number }> {
  const start = Date.now();
  const decoded = await decodedFps(page, seconds);
  const sent = await headsetSentFps(start, Date.now());
  return { decoded, sent, share: decoded / sent };
}

/** The page decodes at least `least` of the frames the headset sends over the next `seconds`. */
export async function expectVideoPlays(page: Page, seconds: number, what: string, least = 0.7): Promise<void> {
  const frames = await decodedBesideSent(page, seconds);
  console.log(`${what}: ${describeShare(frames)}`);
  expect(frames.decoded, `${what}: frames are decoded`).toBeGreaterThan(0);
  expect(frames.share, `${what}: most of the headset's frames are decoded`).toBeGreaterThanOrEqual(least);
}

/** "12.3 of the headset's 14.0 frames/s (88%)" for printing. */
export function describeShare({ decoded, sent, share }: { decoded: number; sent: number; share: number }): string {
  return `${decoded.toFixed(1)} of the headset's ${sent.toFixed(1)} frames/s (${(share * 100).toFixed(0)}%)`;
}
