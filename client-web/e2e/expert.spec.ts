// End-to-end tests of the expert page against a running server with a simulated headset in
// room `demo` (both started by the test script; see SPOTTER_URL).
import { expect, test, type Page } from '@playwright/test';
import type { Annotation } from '../src/generated/protocol';
import {
  PINK,
  clearAnnotations,
  closePage,
  dist,
  keyWorldPoint,
  openExpert,
  pointAtEquipment,
  pointer,
  projectNormalized,
  projectToPage,
  room,
  shownNow,
  type PageRect,
  type Shown,
} from './helpers';

/** Deletes `a` from `page` with its delete button and waits until the room no longer has it. */
async function deleteViaPage(page: Page, a: Annotation, request: Parameters<typeof room>[0]) {
  await page.locator(`[data-annotation-id="${a.id}"] button[data-action="delete"]`).click();
  await expect
    .poll(async () => (await room(request)).annotations.some((x) => x.id === a.id), { timeout: 10_000 })
    .toBe(false);
}

test('a) the page decodes the headset video', async ({ browser }) => {
  const page = await openExpert(browser, 'Ana');
  try {
    const before = await page.evaluate(() => window.__spotter?.framesDecoded() ?? 0);
    await page.waitForTimeout(2000);
    const after = await page.evaluate(() => window.__spotter?.framesDecoded() ?? 0);
    console.log(`frames decoded: ${before} → ${after} in 2 s`);
    expect(after).toBeGreaterThan(before + 10);
    // The resolution may ramp up while the connection estimates its bandwidth.
    const size = () =>
      page.evaluate(() => {
        const v = document.querySelector('video');
        return { w: v?.videoWidth ?? 0, h: v?.videoHeight ?? 0 };
      });
    await expect.poll(async () => (await size()).w, { timeout: 15_000 }).toBeGreaterThanOrEqual(640);
    const { w, h } = await size();
    console.log(`video size ${w}×${h}`);
    expect(h).toBeGreaterThanOrEqual(360);
    await expect(page.locator('#status')).toHaveAttribute('data-state', 'live');
  } finally {
    await closePage(page);
  }
});

test('b) a click on panel-1 anchors a point to it, and the overlay follows it', async ({ browser, request }) => {
  const page = await openExpert(browser, 'Ana');
  try {
    await clearAnnotations(page, request);
    const { annotation, marker } = await pointAtEquipment(page, request, 'panel-1');
    expect(annotation.kind).toBe('point');
    expect(annotation.anchor.type).toBe('equipment');
    expect(annotation.anchor.type === 'equipment' && annotation.anchor.equipment_id).toBe('panel-1');
    const world = keyWorldPoint(annotation);
    const offMarker = Math.hypot(world[0] - marker[0], world[1] - marker[1], world[2] - marker[2]);
    console.log(`anchored point ${world.map((c) => c.toFixed(3)).join(', ')}; ${offMarker.toFixed(3)} m from the marker`);
    expect(offMarker).toBeLessThan(0.02);

    await page.waitForFunction(
      (id) => window.__spotter?.drawnPositions().some((p) => p.id === id) ?? false,
      annotation.id,
    );
    const samples = await page.evaluate(
      async ({ id, ms }) => {
        const s = window.__spotter;
        const out: {
          shown: { rtpTimestamp: number; frame: Shown['frame'] };
          rect: PageRect;
          drawn: { x: number; y: number; rtpTimestamp: number; inFront: boolean };
        }[] = [];
        if (!s) return out;
        const end = performance.now() + ms;
        while (performance.now() < end) {
          await new Promise((r) => requestAnimationFrame(r));
          const d = s.displayed;
          const rect = s.videoRect();
          const drawn = s.drawnPositions().find((p) => p.id === id);
          if (!d || !rect || !drawn) continue;
          out.push({
            shown: { rtpTimestamp: d.rtpTimestamp, frame: d.frame },
            rect,
            drawn: { x: drawn.x, y: drawn.y, rtpTimestamp: drawn.rtpTimestamp, inFront: drawn.inFront },
          });
        }
        return out;
      },
      { id: annotation.id, ms: 2000 },
    );
    expect(samples.length).toBeGreaterThan(20);
    let maxError = 0;
    const expected: [number, number][] = [];
    for (const s of samples) {
      expect(s.drawn.rtpTimestamp).toBe(s.shown.rtpTimestamp);
      expect(s.drawn.inFront).toBe(true);
      const want = projectToPage(s.shown.frame, s.rect, world);
      expect(want).not.toBeNull();
      if (!want) continue;
      expected.push(want);
      maxError = Math.max(maxError, dist([s.drawn.x, s.drawn.y], want));
    }
    const first = expected[0] ?? [0, 0];
    const moved = Math.max(...expected.map((p) => dist(p, first)));
    const frames = new Set(samples.map((s) => s.shown.rtpTimestamp)).size;
    console.log(
      `overlay vs projection over 2 s: max error ${maxError.toFixed(2)} px over ${samples.length} samples ` +
        `(${frames} frames); the point moved up to ${moved.toFixed(1)} px`,
    );
    expect(maxError).toBeLessThan(10);
    expect(moved).toBeGreaterThan(3);
    await deleteViaPage(page, annotation, request);
  } finally {
    await closePage(page);
  }
});

test("c) the headset's own video shows the mark in its colour", async ({ browser, request }) => {
  const page = await openExpert(browser, 'Ana');
  try {
    await clearAnnotations(page, request);
    const { annotation } = await pointAtEquipment(page, request, 'panel-1');
    expect(annotation.color.toLowerCase()).toBe(PINK);
    const world = keyWorldPoint(annotation);
    let best = { count: 0, x: 0, y: 0 };
    const end = Date.now() + 3000;
    while (Date.now() < end) {
      const { shown, rect } = await shownNow(page);
      const uv = projectNormalized(shown.frame, world);
      expect(uv).not.toBeNull();
      if (!uv) break;
      best = await page.evaluate(
        ({ uv, rect }) => {
          const video = document.querySelector('video');
          if (!video || video.videoWidth === 0) return { count: 0, x: 0, y: 0 };
          const w = video.videoWidth;
          const h = video.videoHeight;
          const canvas = document.createElement('canvas');
          canvas.width = w;
          canvas.height = h;
          const ctx = canvas.getContext('2d', { willReadFrequently: true });
          if (!ctx) return { count: 0, x: 0, y: 0 };
          ctx.drawImage(video, 0, 0, w, h);
          const radius = Math.ceil(Math.max(25, (25 * w) / rect.width));
          const cx = Math.round(uv[0] * w);
          const cy = Math.round(uv[1] * h);
          const x0 = Math.max(0, cx - radius);
          const y0 = Math.max(0, cy - radius);
          const x1 = Math.min(w, cx + radius);
          const y1 = Math.min(h, cy + radius);
          const data = ctx.getImageData(x0, y0, x1 - x0, y1 - y0).data;
          let count = 0;
          let sx = 0;
          let sy = 0;
          for (let y = y0; y < y1; y++) {
            for (let x = x0; x < x1; x++) {
              if (Math.hypot(x - cx, y - cy) > radius) continue;
              const i = ((y - y0) * (x1 - x0) + (x - x0)) * 4;
              const r = data[i] ?? 0;
              const g = data[i + 1] ?? 255;
              const b = data[i + 2] ?? 0;
              if (r > 170 && g < 110 && b > 90 && r - g > 90) {
                count++;
                sx += x;
                sy += y;
              }
            }
          }
          return count ? { count, x: sx / count - cx, y: sy / count - cy } : { count, x: 0, y: 0 };
        },
        { uv, rect },
      );
      if (best.count >= 3) break;
      await page.waitForTimeout(200);
    }
    console.log(
      `pink pixels near the projected point: ${best.count} ` +
        `(centroid offset ${best.x.toFixed(1)}, ${best.y.toFixed(1)} video px)`,
    );
    expect(best.count).toBeGreaterThanOrEqual(3);
    await deleteViaPage(page, annotation, request);
  } finally {
    await closePage(page);
  }
});

test('d) a click on empty sky says there is no surface and adds nothing', async ({ browser, request }) => {
  const page = await openExpert(browser, 'Ana');
  try {
    const before = (await room(request)).annotations.length;
    const localBefore = await page.evaluate(() => window.__spotter?.annotations().length ?? -1);
    const { rect } = await shownNow(page);
    // The top rows show only sky (#9fc3e6): everything in the factory is lower.
    const target: [number, number] = [rect.x + rect.width * 0.5, rect.y + rect.height * 0.04];
    const sky = await page.evaluate(
      ({ u, v }) => {
        const video = document.querySelector('video');
        if (!video) return null;
        const c = document.createElement('canvas');
        c.width = video.videoWidth;
        c.height = video.videoHeight;
        const ctx = c.getContext('2d');
        if (!ctx) return null;
        ctx.drawImage(video, 0, 0);
        return Array.from(ctx.getImageData(Math.round(u * c.width), Math.round(v * c.height), 1, 1).data);
      },
      { u: 0.5, v: 0.04 },
    );
    console.log(`video colour at the sky click: rgb(${sky?.slice(0, 3).join(', ') ?? '?'})`);
    await pointer.clickAt(page, target[0], target[1]);
    const message = page.locator('[data-code="no_surface"]');
    await expect(message).toBeVisible({ timeout: 15_000 });
    await expect(message).toContainText('There is no surface under that point');
    const shown = await page.evaluate(() => window.__spotter?.messages() ?? []);
    expect(shown.some((m) => m.code === 'no_surface')).toBe(true);
    await page.waitForTimeout(1000);
    expect((await room(request)).annotations.length).toBe(before);
    expect(await page.evaluate(() => window.__spotter?.annotations().length ?? -1)).toBe(localBefore);
  } finally {
    await closePage(page);
  }
});

test('e) a page that joins later shows existing marks, and a delete reaches everyone', async ({ browser, request }) => {
  const first = await openExpert(browser, 'Ana');
  let second: Page | null = null;
  try {
    await clearAnnotations(first, request);
    const { annotation } = await pointAtEquipment(first, request, 'panel-1');
    await expect
      .poll(() => first.evaluate((id) => window.__spotter?.annotations().some((a) => a.id === id), annotation.id))
      .toBe(true);

    second = await openExpert(browser, 'Bea');
    const ids = await second.evaluate(() => window.__spotter?.annotations().map((a) => a.id) ?? []);
    expect(ids).toContain(annotation.id);
    await expect(second.locator(`[data-annotation-id="${annotation.id}"]`)).toBeVisible();
    await expect
      .poll(() => second?.evaluate((id) => window.__spotter?.drawnPositions().some((p) => p.id === id), annotation.id))
      .toBe(true);

    await deleteViaPage(first, annotation, request);
    await expect
      .poll(() => second?.evaluate((id) => window.__spotter?.annotations().some((a) => a.id === id), annotation.id))
      .toBe(false);
    await expect(second.locator(`[data-annotation-id="${annotation.id}"]`)).toHaveCount(0);
    await expect(first.locator(`[data-annotation-id="${annotation.id}"]`)).toHaveCount(0);
  } finally {
    if (second) await closePage(second);
    await closePage(first);
  }
});

test('f) timing figures (printed, not asserted)', async ({ browser, request }) => {
  const page = await openExpert(browser, 'Timer');
  try {
    await page.waitForTimeout(2000); // Collect a couple of seconds of frame samples.
    const t = await page.evaluate(() => {
      const timing = window.__spotter?.timing;
      const samples = window.__spotter?.samples ?? [];
      const lat = samples
        .filter((s) => s.receiveTime !== null)
        .map((s) => s.expectedDisplayTime - (s.receiveTime ?? 0))
        .sort((a, b) => a - b);
      // Glass to glass on one clock (loopback): the headset's capture time → the frame's
      // expected display time, both as Unix epoch milliseconds.
      const glass = samples
        .filter((s) => s.headsetCaptureTimeUs !== null)
        .map((s) => performance.timeOrigin + s.expectedDisplayTime - (s.headsetCaptureTimeUs ?? 0) / 1000)
        .sort((a, b) => a - b);
      const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? NaN;
      return {
        glassMedian: pct(glass, 0.5),
        glassP95: pct(glass, 0.95),
        glassSamples: glass.length,
        pageOpen: timing?.pageOpen ?? NaN,
        firstFrame: timing?.firstFrame ?? NaN,
        receiveToDisplayMedian: lat[Math.floor(lat.length / 2)] ?? NaN,
        matched: samples.filter((s) => s.matched).length,
        samples: samples.length,
      };
    });
    console.log(
      `page open → first frame: ${(t.firstFrame - t.pageOpen).toFixed(0)} ms ` +
        `(navigation start → first frame ${t.firstFrame.toFixed(0)} ms); ` +
        `receive → display median ${t.receiveToDisplayMedian.toFixed(1)} ms; ` +
        `${t.matched}/${t.samples} frames matched with camera data`,
    );
    console.log(
      `glass to glass (headset capture → displayed in the page): median ${t.glassMedian.toFixed(0)} ms, ` +
        `p95 ${t.glassP95.toFixed(0)} ms over ${t.glassSamples} frames`,
    );

    await clearAnnotations(page, request);
    const { annotation } = await pointAtEquipment(page, request, 'panel-1');
    await page.waitForFunction(
      (id) => window.__spotter?.timing.roundTrips.some((r) => r.annotationId === id && r.drawn !== null) ?? false,
      annotation.id,
    );
    const trip = await page.evaluate(
      (id) => window.__spotter?.timing.roundTrips.find((r) => r.annotationId === id),
      annotation.id,
    );
    if (trip) {
      const since = (t2: number | null) => (t2 === null ? 'n/a' : `${(t2 - trip.pointerUp).toFixed(0)} ms`);
      console.log(
        `annotation round trip from pointerup: accepted ${since(trip.accepted)}, ` +
          `added ${since(trip.added)}, drawn ${since(trip.drawn)}`,
      );
    }
    await deleteViaPage(page, annotation, request);
  } finally {
    await closePage(page);
  }
});
