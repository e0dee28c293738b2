// The expert's side of a headset in OpenXR mode on Monado whose frame source is a camera: the
// test pattern's colour bars stand in for one (no camera on these machines) and go through the
// same conversion, lens and capture-time pose. The expert sees the pictures, not the factory;
// with nothing known under a click, the mark lands on the floor or ahead, says it is an
// estimate, and shows over the pictures.
import { expect, test, type Page } from '@playwright/test';
import {
  clearAnnotations,
  clickInVideo,
  closePage,
  dist3,
  expectVideoPlays,
  keyWorldPoint,
  openExpert,
  pinkPixelsAtPoint,
  room,
  shownNow,
} from './helpers';

/** The test pattern's bars in RGB, as `TestPattern`'s YUV codes decode. */
const BARS: [number, number, number][] = [
  [235, 235, 235],
  [235, 235, 16],
  [16, 235, 235],
  [16, 235, 16],
  [16, 16, 235],
  [128, 128, 128],
  [16, 16, 16],
];

/** The RGB pixels of the video's middle row. */
async function middleRow(page: Page): Promise<number[][]> {
  const data = await page.evaluate(() => {
    const video = document.querySelector('video');
    if (!video || video.videoWidth === 0) return [];
    const canvas = document.createElement('canvas');
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    const ctx = canvas.getContext('2d');
    if (!ctx) return [];
    ctx.drawImage(video, 0, 0);
    return Array.from(ctx.getImageData(0, Math.floor(canvas.height / 2), canvas.width, 1).data);
  });
  const row: number[][] = [];
  for (let i = 0; i + 2 < data.length; i += 4) row.push([data[i] ?? 0, data[i + 1] ?? 0, data[i + 2] ?? 0]);
  return row;
}

/** Which bar each pixel shows (-1 for none), within a tolerance for the codec. */
function barsOf(row: number[][]): number[] {
  return row.map((px) => BARS.findIndex((b) => b.every((c, k) => Math.abs(c - (px[k] ?? 0)) < 40)));
}

test('a) the expert sees the camera pictures, drifting, and no virtual factory', async ({ browser }) => {
  const page = await openExpert(browser, 'Ana');
  try {
    await expectVideoPlays(page, 3, "the XR headset's camera video", 0.5);
    const first = barsOf(await middleRow(page));
    const seen = [...new Set(first.filter((b) => b >= 0))].sort();
    console.log(`bars seen across the middle row: ${seen.join(', ')}`);
    // Every bar is a seventh of the picture wide: all seven are across the row.
    expect(seen.length).toBeGreaterThanOrEqual(6);
    // A bar a second: half a second later most pixels show another bar.
    await page.waitForTimeout(500);
    const later = barsOf(await middleRow(page));
    const changed = later.filter((b, i) => b !== first[i]).length / later.length;
    console.log(`pixels of the middle row showing another bar 0.5 s later: ${(changed * 100).toFixed(0)}%`);
    expect(changed).toBeGreaterThan(0.2);
    const { shown } = await shownNow(page);
    expect(shown.frame.pose.position[1], 'the tracked head, not the factory script').toBeGreaterThan(1);
    // The room knows no equipment: the headset's virtual factory is not what it streams.
    expect((await room(page.request)).equipment).toEqual([]);
  } finally {
    await closePage(page);
  }
});

test('b) a click lands on the floor as an estimate, says so, and shows over the pictures', async ({ browser, request }) => {
  const page = await openExpert(browser, 'Ana');
  try {
    await clearAnnotations(page, request);
    await expectVideoPlays(page, 1, "the XR headset's camera video", 0.3);
    // Low in the picture: about 20° below the horizon, the floor 4 to 5 m ahead.
    const { annotation, shown } = await clickInVideo(page, request, 0.5, 0.85);
    expect(annotation.surface).toBe('estimate');
    expect(annotation.anchor.type).toBe('world');
    const world = keyWorldPoint(annotation);
    console.log(`placed at ${world.map((c) => c.toFixed(2)).join(', ')}, ${dist3(world, shown.frame.pose.position).toFixed(2)} m from the camera`);
    expect(Math.abs(world[1]), 'on the tracking space floor').toBeLessThan(0.01);
    const row = page.locator(`[data-annotation-id="${annotation.id}"] .surface`);
    await expect(row).toHaveText('estimate');
    await expect(row).toHaveAttribute('title', /nothing measured/i);
    const best = await pinkPixelsAtPoint(page, world, 5000);
    console.log(`pink pixels near the projected point over the camera pictures: ${best.count}`);
    expect(best.count).toBeGreaterThanOrEqual(3);
  } finally {
    await closePage(page);
  }
});
