// What the XR headset's eyes show: the wearer's `eyes` command makes the headset write both
// eyes' pictures of one frame with the pose and field of view each eye had in it, as submitted
// to the runtime (client-headset/src/xr/eye_pictures.rs).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Intrinsics, Pose } from '../src/generated/protocol';
import type { Page } from '@playwright/test';
import { headsetCommand } from './helpers';

export interface Eye {
  eye: 'left' | 'right';
  /** The PNG's bytes. */
  png: Buffer;
  width: number;
  height: number;
  pose: Pose;
  fov: { angle_left: number; angle_right: number; angle_up: number; angle_down: number };
}

export interface EyeShot {
  shot: number;
  eyes: Eye[];
}

/** The highest shot number written in `dir` so far, 0 for none. */
function latestShot(dir: string): number {
  if (!existsSync(dir)) return 0;
  const numbers = readdirSync(dir).map((f) => Number(/^eyes-(\d+)\.json$/.exec(f)?.[1] ?? 0));
  return Math.max(0, ...numbers);
}

/**
 * Asks the headset for its eyes' pictures and waits for them: the first shot numbered above
 * any written before (the headset numbers its requests, and says in its log why it skipped one).
 */
export async function eyePictures(timeoutMs = 15_000): Promise<EyeShot> {
  const dir = process.env.SPOTTER_EYE_PICTURES;
  if (!dir) throw new Error('SPOTTER_EYE_PICTURES is not set (the test script sets it)');
  const before = latestShot(dir);
  headsetCommand('eyes');
  const end = Date.now() + timeoutMs;
  while (latestShot(dir) <= before) {
    if (Date.now() > end) throw new Error(`the headset wrote no eye pictures in ${dir} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const path = join(dir, `eyes-${latestShot(dir)}.json`);
  const written = JSON.parse(readFileSync(path, 'utf8')) as { shot: number; eyes: (Omit<Eye, 'png'> & { picture: string })[] };
  return {
    shot: written.shot,
    eyes: written.eyes.map(({ picture, ...eye }) => ({ ...eye, png: readFileSync(join(dir, picture)) })),
  };
}

/**
 * The eye as a pinhole camera, for `projectNormalized`: OpenXR's angles (left and down
 * negative) as focal lengths and a principal point, in the picture's pixels.
 */
export function eyeCamera(eye: Eye): { pose: Pose; intrinsics: Intrinsics } {
  const { angle_left: l, angle_right: r, angle_up: u, angle_down: d } = eye.fov;
  const fx = eye.width / (Math.tan(r) - Math.tan(l));
  const fy = eye.height / (Math.tan(u) - Math.tan(d));
  return {
    pose: eye.pose,
    intrinsics: { fx, fy, cx: -Math.tan(l) * fx, cy: Math.tan(u) * fy, width: eye.width, height: eye.height },
  };
}

type Rgb = [number, number, number];

/**
 * Rows `y0` to `y1` (inclusive) of an eye's picture as RGB triples, decoded once by the browser
 * in `page` (a page with no content security policy, such as a blank one).
 */
async function pictureRows(page: Page, png: Buffer, y0: number, y1: number): Promise<Rgb[][]> {
  return page.evaluate(
    async ({ png, y0, y1 }) => {
      const blob = await (await fetch(`data:image/png;base64,${png}`)).blob();
      const bitmap = await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
      const canvas = document.createElement('canvas');
      [canvas.width, canvas.height] = [bitmap.width, bitmap.height];
      const ctx = canvas.getContext('2d', { willReadFrequently: true });
      if (!ctx) return [];
      ctx.drawImage(bitmap, 0, 0);
      const w = bitmap.width;
      const data = ctx.getImageData(0, y0, w, y1 - y0 + 1).data;
      return Array.from({ length: y1 - y0 + 1 }, (_, row) =>
        Array.from({ length: w }, (_, x): [number, number, number] => {
          const i = (row * w + x) * 4;
          return [data[i] ?? 0, data[i + 1] ?? 0, data[i + 2] ?? 0];
        }),
      );
    },
    { png: png.toString('base64'), y0, y1 },
  );
}

/**
 * The status panel's plate in an eye's picture, near its top-left corner where the panel
 * stands: the first and last column of the widest run of the plate's colour through a column
 * 12% across, over the rows just below the top (darker than the sky in the top row; the
 * widest run skips the rows its letters cross). `last < first` when no plate is there.
 */
export async function panelPlate(page: Page, eye: Eye): Promise<{ first: number; last: number }> {
  const inside = Math.round(eye.width * 0.12);
  const [top = [], ...rows] = await pictureRows(page, eye.png, 0, Math.round(eye.height * 0.1));
  const sky = top[inside] ?? [0, 0, 0];
  const near = (a: Rgb, b: Rgb, within: number) => a.every((v, i) => Math.abs(v - (b[i] ?? 0)) <= within);
  let plate = { first: 0, last: -1 };
  for (const row of rows.slice(Math.round(eye.height * 0.04) - 1)) {
    const colour = row[inside] ?? sky;
    if (near(colour, sky, 19)) continue;
    const same = (x: number) => near(row[x] ?? sky, colour, 6);
    let [first, last] = [inside, inside];
    while (first > 0 && same(first - 1)) first--;
    while (last < row.length - 1 && same(last + 1)) last++;
    if (last - first > plate.last - plate.first) plate = { first, last };
  }
  return plate;
}
