// The session over a bad link. scripts/test runs the headset in a network namespace behind
// `spotter-link` (an emulated link: delay, loss, cuts) and the server on the link's host side;
// the expert's page reaches the server directly, except in the expert-link tests, whose browser
// runs in a second namespace behind its own link (SPOTTER_EXPERT_CHROMIUM starts it there): one
// that drops UDP unless a test sets it otherwise. SPOTTER_LINK_CONTROL and
// SPOTTER_EXPERT_LINK_CONTROL are the links' control files: writing one changes its link at once.
import { writeFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { chromium, type APIRequestContext, type Browser } from '@playwright/test';
import networkConfig from '../playwright.network.config';
import type { Annotation } from '../src/generated/protocol';
import {
  closePage,
  equipment,
  decodedBesideSent,
  expectVideoPlays,
  describeShare,
  describeDelays,
  expectHeadsetHeard,
  headsetJoins,
  headsetRetransmissions,
  headsetVideoKbps,
  headsetVoiceReports,
  markerWorld,
  metricsText,
  mouthToEarDelays,
  openExpert,
  pointAtEquipment,
  projectNormalized,
  room,
  shownNow,
  setFrozen,
  voiceJitterBuffer,
  waitUntilInView,
} from './helpers';

function setLink(settings: string): void {
  const path = process.env.SPOTTER_LINK_CONTROL;
  if (!path) throw new Error('SPOTTER_LINK_CONTROL is not set (the test script sets it)');
  writeFileSync(path, settings);
}

/**
 * Marks equipment `id` on a frozen frame (at 30 frames/s the live frame often changes between
 * aiming and clicking), then goes back to live video.
 */
async function mark(page: Page, request: APIRequestContext, id: string): Promise<Annotation> {
  // Frozen on a frame where the marker is well inside the view: the frame the freeze holds may
  // be a later one than the one looked at (the camera sweeps), so it is looked at again.
  const marker = markerWorld(equipment(id));
  for (let attempt = 1; ; attempt++) {
    await waitUntilInView(page, [marker], 0.15, 30_000);
    await setFrozen(page, true);
    const held = projectNormalized((await shownNow(page)).shown.frame, marker);
    if (held?.every((c) => c >= 0.1 && c <= 0.9)) break;
    await setFrozen(page, false);
    if (attempt === 5) throw new Error(`${id}'s marker left the view on every frozen frame`);
  }
  try {
    return (await pointAtEquipment(page, request, id)).annotation;
  } finally {
    await setFrozen(page, false);
  }
}

async function framesDecoded(page: Page): Promise<number> {
  return page.evaluate(() => window.__spotter?.framesDecoded() ?? Promise.resolve(0));
}

test.afterEach(() => setLink(''));

/** Behind a cap: fewer frames, not a freeze (half of what the headset sends, and some). */
function expectStillMoving(frames: { decoded: number; share: number }): void {
  expect(frames.share, 'still moving: fewer frames, not a freeze').toBeGreaterThanOrEqual(0.5);
  expect(frames.decoded, 'still moving').toBeGreaterThanOrEqual(3);
}

test("5% loss and 100 ms RTT to the headset: 80%+ of its frames decoded, every annotation arrives, voice both ways", async ({
  browser,
  request,
}) => {
  setLink('delay_ms=50\nloss=0.05\n');
  const page = await openExpert(browser, 'Nadia');
  try {
    const frames = await decodedBesideSent(page, 10);
    console.log(`decoded ${describeShare(frames)} over 10 s with 5% loss and 100 ms RTT`);
    expect(frames.share, 'lost packets are repaired: frames are not lost').toBeGreaterThanOrEqual(0.8);

    const placed = [];
    for (const id of ['panel-1', 'conveyor-1', 'panel-1', 'conveyor-1', 'panel-1']) {
      placed.push((await mark(page, request, id)).id);
    }
    const ids = new Set((await room(request)).annotations.map((a) => a.id));
    expect(placed.every((id) => ids.has(id)), 'every annotation is in the room').toBe(true);
    await expect
      .poll(() => page.evaluate(() => window.__spotter?.annotations().length ?? 0))
      .toBeGreaterThanOrEqual(placed.length);

    await expectHeadsetHeard(page);
    // Lost video is asked for again and resent (RTX), not only repaired by keyframes. The
    // headset reports every 5 s: wait for a report that covers the lossy period.
    const nacks = await peerMetric(request, 'spotter_peer_nacks_sent_total', 'technician');
    await expect.poll(() => headsetRetransmissions() ?? 0, { timeout: 10_000 }).toBeGreaterThan(0);
    console.log(`the server sent the headset ${nacks} NACKs; it resent ${headsetRetransmissions()} packets`);
    expect(nacks).toBeGreaterThan(0);

    const reports = headsetVoiceReports();
    const last = reports[reports.length - 1];
    console.log(`headset hears over the lossy link: ${JSON.stringify(last)}`);
    expect(last?.voices ?? 0).toBeGreaterThanOrEqual(1);
    expect(last?.loudest ?? -100).toBeGreaterThan(-50);
  } finally {
    await closePage(page);
  }
});

/**
 * Cuts the headset's link for `seconds` with an expert watching: the headset must come back
 * on its own, the video resume on the same page (no reload), every mark stay, one technician
 * be in the room, and the headset place marks again.
 */
async function cutHeadsetLink(browser: Browser, request: APIRequestContext, seconds: number): Promise<number> {
  const page = await openExpert(browser, 'Ravi');
  try {
    const before = await mark(page, request, 'panel-1');
    const marks = (await room(request)).annotations.map((a) => a.id);
    const self = await page.evaluate(() => window.__spotter?.participantId);

    setLink('cut=1\n');
    await page.waitForTimeout(seconds * 1000);
    const stalled = await framesDecoded(page);
    setLink('');
    const restored = Date.now();
    await expect
      .poll(async () => (await framesDecoded(page)) - stalled, { timeout: 30_000, intervals: [100] })
      .toBeGreaterThan(5);
    console.log(`video back ${Date.now() - restored} ms after the link returned (${seconds} s cut)`);

    // The same page (no reload), live again, every mark still there and drawable again.
    expect(await page.evaluate(() => window.__spotter?.participantId)).toBe(self);
    await expect(page.locator('#status')).toHaveAttribute('data-state', 'live', { timeout: 10_000 });
    const after = (await room(request)).annotations.map((a) => a.id);
    expect(after).toEqual(expect.arrayContaining(marks));
    expect(after).toContain(before.id);
    const technicians = (await room(request)).participants.filter((p) => p.role === 'technician');
    expect(technicians).toHaveLength(1);
    // The headset places marks again.
    await mark(page, request, 'conveyor-1');
    return headsetJoins();
  } finally {
    await closePage(page);
  }
}

test("the headset's link cut for 10 s: it comes back, the video resumes without reloading, no annotation is lost", async ({
  browser,
  request,
}) => {
  await cutHeadsetLink(browser, request, 10);
});

test("the headset's link cut for 30 s: it has given the connection up, and joins again in its old place", async ({
  browser,
  request,
}) => {
  test.setTimeout(90_000);
  const joins = headsetJoins();
  expect(await cutHeadsetLink(browser, request, 30), 'the headset joined again').toBeGreaterThan(joins);
});

/** The value of per-peer metric `name` for the (one) participant in `role`, from /metrics. */
async function peerMetric(request: APIRequestContext, name: string, role: string): Promise<number> {
  const text = await metricsText(request);
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(`role="${role}"`));
  return Number(line?.split(' ').at(-1) ?? NaN);
}

/** Video bits per second the server received from the headset over `ms`, from /metrics. */
async function videoInBps(request: APIRequestContext, ms: number): Promise<number> {
  const bytes = async () => {
    const text = await metricsText(request);
    return Number(/^spotter_video_bytes_in_total (\d+)/m.exec(text)?.[1] ?? NaN);
  };
  const before = await bytes();
  await new Promise((r) => setTimeout(r, ms));
  return ((await bytes()) - before) * 8 / (ms / 1000);
}

/**
 * A link cap that binds: 300 kbit/s, or less where the headset sends less than that (at 320x180
 * the rendered scene cost 150-370 kbit/s of video in runs here, as the machine's load let it
 * render, and a cap above what is sent shows nothing). Four fifths of the video and the voice
 * together.
 */
function bindingCapKbps(openVideoBps: number): number {
  // Opus at 32 kbit/s (peer/src/voice.rs) in 50 packets a second, each with about 50 bytes of
  // IP, UDP, RTP and SRTP headers: an estimate, not a measurement.
  const voiceBps = 50_000;
  return Math.max(100, Math.min(300, Math.round(((openVideoBps + voiceBps) * 0.8) / 1000)));
}

test("the headset's link capped at 300 kbit/s or below what it sends: the video degrades but keeps playing, the voice stays", async ({
  browser,
  request,
}) => {
  const page = await openExpert(browser, 'Kai');
  try {
    const open = await videoInBps(request, 5000);
    const cap = bindingCapKbps(open);
    setLink(`rate_kbps=${cap}\n`);
    // Congestion control needs a few seconds to find the new capacity.
    await page.waitForTimeout(12_000);
    const capped = await videoInBps(request, 10_000);
    const frames = await decodedBesideSent(page, 5);
    console.log(
      `video from the headset: ${(open / 1000).toFixed(0)} kbit/s on an open link, ${(capped / 1000).toFixed(0)} kbit/s capped at ${cap} kbit/s, ${describeShare(frames)} decoded`,
    );
    // The link cannot carry more than its cap whatever the headset does; what shows that the
    // headset followed it is its encoder's own target, well down from the configured 1.5 Mbit/s
    // (the estimate wobbles around the cap, so not below the cap at every moment).
    const target = headsetVideoKbps();
    console.log(`the headset's encoder aims at ${target ?? '?'} kbit/s behind the ${cap} kbit/s cap`);
    expect(target).not.toBeNull();
    expect(target ?? Infinity).toBeLessThan(2.5 * cap);
    expectStillMoving(frames);
    await expect(page.locator('#status')).toHaveAttribute('data-state', 'live');
    // The technician is still heard on the full link (that voice goes ahead of the video in
    // the headset's pacer is shown by its unit tests; the delay is printed here).
    await expectHeadsetHeard(page, 5000);
    const delays = await mouthToEarDelays(page, 8000);
    console.log(`mouth-to-ear behind the ${cap} kbit/s cap: ${describeDelays(delays)}; ${await voiceJitterBuffer(page)}`);
  } finally {
    await closePage(page);
  }
});

/** A browser in the expert's namespace, whose link drops every UDP packet. */
async function expertBrowser(): Promise<Browser> {
  const executablePath = process.env.SPOTTER_EXPERT_CHROMIUM;
  if (!executablePath) throw new Error('SPOTTER_EXPERT_CHROMIUM is not set (the test script sets it)');
  return chromium.launch({ ...networkConfig.use?.launchOptions, executablePath });
}

function setExpertLink(settings: string): void {
  const path = process.env.SPOTTER_EXPERT_LINK_CONTROL;
  if (!path) throw new Error('SPOTTER_EXPERT_LINK_CONTROL is not set (the test script sets it)');
  writeFileSync(path, settings);
}

/** The expert's link between tests: UDP dropped (the script starts it so). */
const EXPERT_LINK_DEFAULT = 'block_udp=1\n';

/**
 * Runs `body` with a page opened as `name` in a browser behind the expert's link, set to
 * `link`; afterwards the link is set back and the browser closed.
 */
async function onExpertLink(link: string, name: string, body: (page: Page) => Promise<void>): Promise<void> {
  const browser = await expertBrowser();
  setExpertLink(link);
  try {
    await body(await openExpert(browser, name));
  } finally {
    setExpertLink(EXPERT_LINK_DEFAULT);
    await browser.close();
  }
}

test('UDP blocked between an expert and the server: the page connects over TCP, plays and talks', async () => {
  await onExpertLink(EXPERT_LINK_DEFAULT, 'Uma', async (page) => {
    const frames = await decodedBesideSent(page, 3);
    const transport = await page.evaluate(() => window.__spotter?.transport() ?? Promise.resolve(null));
    console.log(`UDP blocked: media over ${transport ?? '?'}, ${describeShare(frames)} decoded`);
    expect(transport).toBe('tcp');
    expect(frames.share).toBeGreaterThanOrEqual(0.7);
    await expectHeadsetHeard(page);
  });
});

test("5% loss and 100 ms RTT to an expert: the page asks for lost video again and gets it", async () => {
  await onExpertLink('delay_ms=50\nloss=0.05\n', 'Omar', async (page) => {
    const frames = await decodedBesideSent(page, 10);
    const counts = await page.evaluate(() => window.__spotter?.videoInbound() ?? Promise.resolve(null));
    console.log(`expert behind 5% loss: ${describeShare(frames)} decoded, ${JSON.stringify(counts)}`);
    expect(await page.evaluate(() => window.__spotter?.transport() ?? Promise.resolve(null))).toBe('udp');
    expect(counts?.nackCount ?? 0, 'the page asked for lost packets').toBeGreaterThan(0);
    expect(counts?.retransmittedPacketsReceived ?? 0, 'the server resent them').toBeGreaterThan(0);
    expect(frames.share, 'lost packets are repaired: frames are not lost').toBeGreaterThanOrEqual(0.8);
  });
});

test("an expert's downlink capped at 300 kbit/s: the headset's video follows the slowest viewer", async () => {
  await onExpertLink('rate_kbps=300\n', 'Dara', async (page) => {
    // The server's estimate of this page's downlink reaches the headset (REMB), whose
    // encoder takes the lower of it and its own uplink's estimate.
    await page.waitForTimeout(15_000);
    const target = headsetVideoKbps();
    const frames = await decodedBesideSent(page, 5);
    console.log(`expert's downlink capped at 300 kbit/s: the headset aims at ${target ?? '?'} kbit/s; ${describeShare(frames)} decoded`);
    expect(target ?? Infinity, "the headset's encoder follows the expert's downlink").toBeLessThan(750);
    expectStillMoving(frames);
    await expect(page.locator('#status')).toHaveAttribute('data-state', 'live');
  });
});

test("an expert's link cut for 12 s: the page reconnects by itself and the video comes back", async ({ request }) => {
  await onExpertLink(EXPERT_LINK_DEFAULT, 'Lea', async (page) => {
    await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
    const marks = (await room(request)).annotations.map((a) => a.id);
    setExpertLink('block_udp=1\ncut=1\n');
    await page.waitForTimeout(12_000);
    setExpertLink(EXPERT_LINK_DEFAULT);
    const restored = Date.now();
    // Live: frames displayed and matched with their camera data within the last 3 s.
    await expect(page.locator('#status')).toHaveAttribute('data-state', 'live', { timeout: 45_000 });
    console.log(`page live again ${Date.now() - restored} ms after its link returned (12 s cut)`);
    await expectVideoPlays(page, 2, 'the video plays on after the cut', 0.5);
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    // One expert in the room (the old self was replaced, not duplicated), marks intact.
    const snapshot = await room(request);
    expect(snapshot.participants.filter((p) => p.name === 'Lea')).toHaveLength(1);
    expect(snapshot.annotations.map((a) => a.id)).toEqual(expect.arrayContaining(marks));
  });
});
