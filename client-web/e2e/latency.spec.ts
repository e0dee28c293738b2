// Latency percentiles the user feels, for the benchmark report (`scripts/bench` runs this with
// SPOTTER_LATENCY_SAMPLES=120 and SPOTTER_LATENCY_OUT=<file>; the test run takes a few samples
// so that the measurement keeps working). Printed and written, never asserted.
import { writeFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import {
  closePage,
  deleteViaPage,
  glassToGlassDelays,
  headsetShownUs,
  openExpert,
  percentile,
  pointAtEquipment,
} from './helpers';

const SAMPLES = Number(process.env.SPOTTER_LATENCY_SAMPLES ?? 5);

interface Row {
  what: string;
  samples: number;
  p50: number;
  p95: number;
  p99: number;
}

function row(what: string, values: readonly number[]): Row {
  return {
    what,
    samples: values.length,
    p50: percentile(values, 50),
    p95: percentile(values, 95),
    p99: percentile(values, 99),
  };
}

test('m) latency percentiles: glass to glass and annotations (printed, not asserted)', async ({
  browser,
  request,
}) => {
  test.setTimeout(60_000 + SAMPLES * 5_000);
  const page = await openExpert(browser, 'Latency');
  try {
    // The page keeps its last 600 frame samples: enough for any count asked for here.
    await page.waitForFunction(
      (n) => (window.__spotter?.samples ?? []).filter((s) => s.headsetCaptureTimeUs !== null).length >= n,
      Math.min(SAMPLES, 600),
      { timeout: 30_000 + SAMPLES * 200 },
    );
    const glass = await glassToGlassDelays(page);

    const accepted: number[] = [];
    const inHeadset: number[] = [];
    const drawn: number[] = [];
    const inVideo: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const { annotation } = await pointAtEquipment(page, request, 'panel-1', { anyFrame: true });
      await page.waitForFunction(
        (id) => window.__spotter?.timing.roundTrips.some((r) => r.annotationId === id && r.drawn !== null) ?? false,
        annotation.id,
      );
      await expect.poll(() => headsetShownUs(annotation.id), { timeout: 10_000 }).not.toBeNull();
      const shownUs = headsetShownUs(annotation.id) ?? 0;
      // The page's first displayed frame captured once the headset showed the mark.
      const handle = await page.waitForFunction(
        (us) =>
          (window.__spotter?.samples ?? []).find((s) => (s.headsetCaptureTimeUs ?? 0) >= us)?.expectedDisplayTime,
        shownUs,
        { timeout: 10_000 },
      );
      const trip = await page.evaluate((id) => {
        const t = window.__spotter?.timing.roundTrips.find((r) => r.annotationId === id);
        return t ? { ...t, origin: performance.timeOrigin } : null;
      }, annotation.id);
      // waitForFunction resolves with the (defined) display time.
      const displayedAt = Number(await handle.jsonValue());
      if (trip?.accepted == null || trip.drawn === null) throw new Error('no round trip timing');
      const pointerUpUnixMs = trip.origin + trip.pointerUp;
      accepted.push(trip.accepted - trip.pointerUp);
      drawn.push(trip.drawn - trip.pointerUp);
      inHeadset.push(shownUs / 1000 - pointerUpUnixMs);
      inVideo.push(trip.origin + displayedAt - pointerUpUnixMs);
      await deleteViaPage(page, annotation, request);
    }
    const rows = [
      row('glass to glass: headset capture → frame displayed in the page', glass),
      row('annotation: pointer-up → accepted by the server (resolved by the headset)', accepted),
      row("annotation: pointer-up → in the headset's rendered view", inHeadset),
      row("annotation: pointer-up → drawn in the page's overlay", drawn),
      row("annotation: pointer-up → the headset's video showing it displayed in the page", inVideo),
    ];
    for (const r of rows) {
      console.log(
        `${r.what}: p50 ${r.p50.toFixed(0)} ms, p95 ${r.p95.toFixed(0)} ms, p99 ${r.p99.toFixed(0)} ms over ${r.samples}`,
      );
    }
    const out = process.env.SPOTTER_LATENCY_OUT;
    if (out) writeFileSync(out, JSON.stringify({ rows }, null, 2));
  } finally {
    await closePage(page);
  }
});
