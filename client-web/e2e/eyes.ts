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

/**
 * Row `y` of an eye's picture as RGB triples, decoded by the browser in `page` (a page with no
 * content security policy, such as a blank one).
 */
export async function pictureRow(page: Page, png: Buffer, y: number): Promise<[number, number, number][]> {
  return page.evaluate(
    async ({ png, y }) => {
      const blob = await (await fetch(`data:image/png;base64,${png}`)).blob();
      const bitmap = await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
      const canvas = document.createElement('canvas');
      [canvas.width, canvas.height] = [bitmap.width, bitmap.height];
      const ctx = canvas.getContext('2d', { willReadFrequently: true });
      if (!ctx) return [];
      ctx.drawImage(bitmap, 0, 0);
      const data = ctx.getImageData(0, y, bitmap.width, 1).data;
      return Array.from({ length: bitmap.width }, (_, x): [number, number, number] => [
        data[x * 4] ?? 0,
        data[x * 4 + 1] ?? 0,
        data[x * 4 + 2] ?? 0,
      ]);
    },
    { png: png.toString('base64'), y },
  );
}

/**
 * The status panel's plate along `row` (the picture's top-left corner, where it stands): the
 * first and last column of the run of the plate's colour through column `inside`.
 */
export function plateRun(row: readonly [number, number, number][], inside: number): { first: number; last: number } {
  const plate = row[inside] ?? [0, 0, 0];
  const same = (x: number) => row[x]?.every((v, i) => Math.abs(v - (plate[i] ?? 0)) <= 6) ?? false;
  let [first, last] = [inside, inside];
  while (first > 0 && same(first - 1)) first--;
  while (last < row.length - 1 && same(last + 1)) last++;
  return { first, last };
}
