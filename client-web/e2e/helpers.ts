// Helpers for the expert page's end-to-end tests. The pinhole math here is written again on
// purpose (not imported from the page) so that the tests check the page's own math.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, type APIRequestContext, type Browser, type Page } from '@playwright/test';
import type { Annotation, FrameMeta, RoomSnapshot } from '../src/generated/protocol';
// Types only (they also declare `window.__spotter`); no page code is imported.
import type { SpotterHooks } from '../src/testHooks';

export type Hooks = SpotterHooks;

export const SPOTTER_URL = (process.env.SPOTTER_URL ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
export const ROOM = 'demo';
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
export function projectNormalized(frame: FrameMeta, world: V3): [number, number] | null {
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

/** Opens an expert page in its own browser context and waits for live video with camera data. */
export async function openExpert(browser: Browser, name: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') console.log(`[${name} console] ${m.text()}`);
  });
  await page.goto(`${SPOTTER_URL}/?room=${ROOM}&role=expert&name=${encodeURIComponent(name)}`);
  await page.waitForFunction(() => window.__spotter?.displayed != null, undefined, {
    timeout: 30_000,
  });
  return page;
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

export async function room(request: APIRequestContext): Promise<RoomSnapshot> {
  const res = await request.get(`${SPOTTER_URL}/api/rooms/${ROOM}`);
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
 * annotation the room gained.
 */
export async function pointAtEquipment(
  page: Page,
  request: APIRequestContext,
  id: string,
): Promise<{ annotation: Annotation; clicked: [number, number]; marker: V3 }> {
  const known = new Set((await room(request)).annotations.map((a) => a.id));
  const marker = markerWorld(equipment(id));
  const { shown, rect } = await shownNow(page);
  const at = projectToPage(shown.frame, rect, marker);
  if (!at) throw new Error(`${id}'s marker is behind the camera`);
  await pointer.clickAt(page, at[0], at[1]);
  const annotation = await newAnnotation(request, known);
  return { annotation, clicked: at, marker };
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
