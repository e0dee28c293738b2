// A trainer replays a session recorded in the live room: the library lists it, the player
// shows the technician's video with the voices, and the marks are re-drawn in 3D by the live
// page's overlay with the recorded pose of the frame on screen.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type APIRequestContext, type Browser, type Page } from '@playwright/test';
import type { FrameMeta } from '../src/generated/protocol';
// The player's own reading of a file's index into keyframe groups (pure, no page APIs).
import { groupsOf, type MediaIndex } from '../src/replay/bufferWindow';
// Types only: it declares `window.__spotterReplay` (no page code is imported).
import type {} from '../src/replay/hooks';
import {
  SPOTTER_URL,
  closePage,
  deleteViaPage,
  dist,
  keyWorldPoint,
  newInvite,
  openExpert,
  percentile,
  pointAtEquipment,
  projectToPage,
} from './helpers';

async function get(request: APIRequestContext, token: string, path: string) {
  const res = await request.get(`${SPOTTER_URL}${path}`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.ok(), `GET ${path}: ${res.status()}`).toBe(true);
  return res;
}

const shown = (page: Page) => page.evaluate(() => window.__spotterReplay?.shown ?? null);
const shownMarks = (page: Page) => page.evaluate(() => window.__spotterReplay?.marks().map((a) => a.id) ?? []);

/** Clicks the timeline's entry `selector` and waits for the frame it seeks to. */
async function clickEntry(page: Page, selector: string, frameRtp?: number): Promise<void> {
  await page.locator(`${selector} button`).first().click();
  if (frameRtp === undefined) {
    await page.waitForTimeout(500);
    return;
  }
  await expect.poll(async () => (await shown(page))?.rtpTimestamp, { timeout: 5000 }).toBe(frameRtp);
}

/**
 * The live session, recorded: an expert starts recording, puts two marks on the panel a moment
 * apart, deletes the first and stops.
 */
async function recordSession(browser: Browser, request: APIRequestContext) {
  const expert = await openExpert(browser, 'Rita');
  const record = expert.locator('#record');
  try {
    await record.click();
    await expect(record).toHaveAttribute('aria-pressed', 'true');
    const recordingId = (await expert.evaluate(() => window.__spotter?.recording?.status.recording_id)) ?? '';
    expect(recordingId).toMatch(/^r-[0-9a-f]{16}$/);
    await expert.waitForTimeout(1500);
    const first = await pointAtEquipment(expert, request, 'panel-1');
    await expert.waitForTimeout(1500);
    const second = await pointAtEquipment(expert, request, 'panel-1');
    await expert.waitForTimeout(1000);
    await deleteViaPage(expert, first.annotation, request);
    await expert.waitForTimeout(1500);
    const liveRect = await expert.evaluate(() => window.__spotter?.videoRect() ?? null);
    return { expert, recordingId, first, second, liveRect };
  } finally {
    if ((await record.getAttribute('aria-pressed')) === 'true') await record.click();
    await expect(record).toHaveAttribute('aria-pressed', 'false');
  }
}

test('a trainer replays a recorded session: the library lists it, a click on a mark shows it on the frame it was drawn on', async ({
  browser,
  request,
}) => {
  test.setTimeout(180_000);
  const { expert, recordingId, first, second, liveRect } = await recordSession(browser, request);
  const clicked = second.clicked;

  // ---- The trainer's library, from the invite's recordings link.
  const trainer = await newInvite('trainer');
  expect(trainer.recordings_url).toMatch(/\/recordings\?token=/);
  const page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') console.log(`[trainer console] ${m.text()}`);
  });
  try {
    await page.goto(trainer.recordings_url ?? '');
    expect(page.url(), 'the token leaves the address').not.toContain('token=');
    const row = page.locator(`tr[data-recording="${recordingId}"]`);
    await expect(row).toBeVisible();
    // Who took part, the equipment marked, the marks placed (the two, and any placed again
    // when the video moved on before a click).
    await expect(row).toContainText('Rita (expert)');
    await expect(row).toContainText('panel-1');
    const marksPlaced = Number(await row.locator('td.marks').textContent());
    expect(marksPlaced).toBeGreaterThanOrEqual(2);
    // A filter by another equipment leaves it out; by the panel keeps it.
    await page.locator('#library-filter input[name="equipment"]').fill('conveyor-1');
    await page.locator('#library-filter button[type="submit"]').click();
    await expect(row).toHaveCount(0);
    await page.locator('#library-filter input[name="equipment"]').fill('panel-1');
    await page.locator('#library-filter button[type="submit"]').click();
    await expect(row).toBeVisible();
    await row.locator('a').click();
    await page.waitForFunction(() => window.__spotterReplay !== undefined, undefined, { timeout: 30_000 });
    const opened = await page.evaluate(() => window.__spotterReplay?.opened);
    expect(opened, JSON.stringify(await page.evaluate(() => window.__spotterReplay?.messages()))).toBe(true);
    await expect.poll(() => shown(page), { timeout: 10_000 }).not.toBeNull();

    // ---- The timeline has both marks and the deletion, with author and equipment.
    await expect(page.locator(`.timeline-entry[data-kind="mark"][data-annotation="${second.annotation.id}"]`)).toContainText(
      'Rita placed a point on',
    );
    await expect(page.locator(`.timeline-entry[data-kind="mark_deleted"][data-annotation="${first.annotation.id}"]`)).toContainText(
      'Rita deleted a point on',
    );
    await expect(page.locator('.timeline-entry[data-kind="recording"]')).toHaveCount(2);

    // ---- A click on the second mark's event: its frame, the mark where the expert put it.
    await clickEntry(page, `.timeline-entry[data-kind="mark"][data-annotation="${second.annotation.id}"]`, second.annotation.frame_rtp_timestamp);
    expect(await shownMarks(page)).toEqual(expect.arrayContaining([first.annotation.id, second.annotation.id]));
    const frames = (await (await get(request, trainer.token, `/api/recordings/${recordingId}/files/frames.ndjson`)).text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as FrameMeta);
    const frame = frames.find((f) => f.rtp_timestamp === second.annotation.frame_rtp_timestamp);
    expect(frame, 'the frame the mark was drawn on has its record').toBeDefined();
    const view = await page.evaluate(() => {
      const r = window.__spotterReplay;
      return { drawn: r?.drawnPositions() ?? [], rect: r?.videoRect() ?? null };
    });
    const drawn = view.drawn.find((d) => d.id === second.annotation.id);
    expect(drawn?.rtpTimestamp).toBe(second.annotation.frame_rtp_timestamp);
    const rect = view.rect;
    if (!frame || !drawn || !rect || !liveRect) throw new Error('no frame, drawing or video rectangle');
    const expected = projectToPage(frame, rect, keyWorldPoint(second.annotation));
    if (!expected) throw new Error('the mark is behind the recorded camera');
    const error = dist([drawn.x, drawn.y], expected);
    // Where the expert clicked, in the replay's rectangle.
    const click: [number, number] = [
      rect.x + ((clicked[0] - liveRect.x) / liveRect.width) * rect.width,
      rect.y + ((clicked[1] - liveRect.y) / liveRect.height) * rect.height,
    ];
    console.log(
      `replayed mark: ${error.toFixed(2)} px from its projection with the recorded pose, ${dist([drawn.x, drawn.y], click).toFixed(1)} px from the expert's click`,
    );
    expect(error).toBeLessThan(2);
    expect(dist([drawn.x, drawn.y], click)).toBeLessThan(rect.width * 0.01);

    // ---- The deletion: only the second mark from then on.
    await clickEntry(page, `.timeline-entry[data-kind="mark_deleted"][data-annotation="${first.annotation.id}"]`);
    await expect.poll(() => shownMarks(page), { timeout: 5000 }).toEqual([second.annotation.id]);

    // ---- Hidden marks, and a frame step each way.
    await page.keyboard.press('h');
    expect(await shownMarks(page)).toEqual([]);
    expect(await page.evaluate(() => window.__spotterReplay?.drawnPositions().length)).toBe(0);
    await page.keyboard.press('h');
    expect(await shownMarks(page)).toEqual([second.annotation.id]);
    // A frame on is the next frame recorded (the headset's rate varies), and back again.
    const before = await shown(page);
    if (!before) throw new Error('no frame on screen');
    const ahead = (f: FrameMeta) => (f.rtp_timestamp - before.rtpTimestamp) >>> 0;
    const next = frames.filter((f) => ahead(f) > 0 && ahead(f) < 2 ** 31).sort((a, b) => ahead(a) - ahead(b))[0];
    await page.locator('#step-forward').click();
    await expect.poll(async () => (await shown(page))?.rtpTimestamp).toBe(next?.rtp_timestamp);
    expect((await shown(page))?.matched, 'the next frame has its record').toBe(true);
    await page.locator('#step-back').click();
    await expect.poll(async () => (await shown(page))?.rtpTimestamp).toBe(before.rtpTimestamp);

    // ---- 2x from the start, with the voices.
    await page.locator('#speed').selectOption('2');
    await clickEntry(page, '.timeline-entry[data-kind="recording"]');
    await page.locator('#play').click();
    const t0 = { media: (await shown(page))?.mediaTimeMs ?? 0, wall: Date.now() };
    let loudest = -100;
    for (let i = 0; i < 20; i++) {
      await page.waitForTimeout(100);
      loudest = Math.max(loudest, await page.evaluate(() => window.__spotterReplay?.voiceLevel() ?? -100));
    }
    const t1 = { media: (await shown(page))?.mediaTimeMs ?? 0, wall: Date.now() };
    // Space on the focused Play button pauses, once (the button's press, not also the shortcut).
    await page.keyboard.press(' ');
    await expect.poll(() => page.evaluate(() => document.querySelector('video')?.paused)).toBe(true);
    await page.waitForTimeout(300);
    expect(await page.evaluate(() => document.querySelector('video')?.paused)).toBe(true);
    const speed = (t1.media - t0.media) / (t1.wall - t0.wall);
    console.log(`replay at 2x: ${speed.toFixed(2)}x measured; loudest voice ${loudest.toFixed(1)} dBFS`);
    expect(speed).toBeGreaterThan(1.5);
    expect(speed).toBeLessThan(2.5);
    expect(loudest, 'the recorded voices play').toBeGreaterThan(-50);

    // ---- Seeks: clicking events back and forth.
    const entries = page.locator('.timeline-entry button');
    const count = await entries.count();
    for (let i = 0; i < 12; i++) {
      await entries.nth((i * 5) % count).click();
      await page.waitForTimeout(250);
    }
    const seeks = await page.evaluate(() => window.__spotterReplay?.seekTimes ?? []);
    console.log(`seek to the frame on screen: p50 ${percentile(seeks, 50).toFixed(0)} ms, p95 ${percentile(seeks, 95).toFixed(0)} ms (${seeks.length} seeks)`);
    expect(seeks.length).toBeGreaterThan(5);

    // ---- A bookmark, kept by the server as a new event.
    await page.locator('#bookmark-note').fill('Watch the valve');
    await page.locator('#bookmark-form button[type="submit"]').click();
    await expect(page.locator('.timeline-entry[data-kind="bookmark"]')).toContainText('Watch the valve');
    const detail = (await (await get(request, trainer.token, `/api/recordings/${recordingId}`)).json()) as {
      bookmarks: { note: string }[];
    };
    expect(detail.bookmarks.map((b) => b.note)).toContain('Watch the valve');

    // ---- The export: one MP4 with the video and the voices, as recorded.
    const mp4 = await (await get(request, trainer.token, `/api/recordings/${recordingId}/export.mp4`)).body();
    const file = join(mkdtempSync(join(tmpdir(), 'spotter-export-')), 'export.mp4');
    writeFileSync(file, mp4);
    const probe = JSON.parse(
      execFileSync('ffprobe', ['-v', 'error', '-show_streams', '-show_format', '-of', 'json', file], { encoding: 'utf8' }),
    ) as { streams: { codec_name: string }[]; format: { duration: string } };
    const codecs = probe.streams.map((s) => s.codec_name);
    const exportedMs = Number(probe.format.duration) * 1000;
    const playedMs = await page.evaluate(() => window.__spotterReplay?.durationMs ?? 0);
    console.log(`export: ${mp4.length} bytes, ${exportedMs.toFixed(0)} ms (the player's ${playedMs.toFixed(0)} ms), streams ${codecs.join(', ')}`);
    // As long as the video (a voice may end a frame's length apart).
    expect(Math.abs(exportedMs - playedMs)).toBeLessThan(100);
    expect(codecs).toContain('h264');
    expect(codecs).toContain('opus');

    // ---- A small buffer (`?buffer=1`: 1 s ahead, a third of that behind): the player fetches
    // keyframe groups around the playhead by the file's index and drops those behind it, and
    // still plays to the end at 2x; a click back on the mark's event fetches its frame again.
    // The headset sends a keyframe every 4 s of capture time, so this recording is two groups
    // or more, and the first is dropped once the playhead is past it. (Both are held while the
    // playhead is within a second of the second one: how much is held at most is printed.)
    const indexed = (await (await get(request, trainer.token, `/api/recordings/${recordingId}`)).json()) as {
      video: { index?: MediaIndex };
    };
    const groups = groupsOf(indexed.video.index ?? { init_bytes: 0, timescale: 90_000, fragments: [] });
    console.log(`keyframe groups: ${groups.map((g) => `${g.start.toFixed(2)}-${g.end.toFixed(2)} s`).join(', ')}`);
    expect(groups.length, 'a keyframe every 4 s makes more than one group').toBeGreaterThanOrEqual(2);
    const firstGroup = groups[0];
    if (!firstGroup) throw new Error('no keyframe group');
    const playerUrl = page.url().split('?')[0] ?? '';
    await page.goto(`${playerUrl}?buffer=1`);
    await page.waitForFunction(() => window.__spotterReplay?.opened === true && window.__spotterReplay.shown !== null, undefined, {
      timeout: 30_000,
    });
    await page.locator('#speed').selectOption('2');
    await page.locator('#play').click();
    const buffered = () =>
      page.evaluate(() => {
        const v = document.querySelector('video');
        if (!v) throw new Error('no video element');
        const ranges: [number, number][] = [];
        for (let r = 0; r < v.buffered.length; r++) ranges.push([v.buffered.start(r), v.buffered.end(r)]);
        return { ranges, at: v.currentTime, ended: v.ended };
      });
    const holds = (ranges: [number, number][], t: number) => ranges.some(([a, b]) => a <= t && t < b);
    const endS = (await page.evaluate(() => window.__spotterReplay?.durationMs ?? 0)) / 1000;
    let mostHeldS = 0;
    let now = await buffered();
    for (let i = 0; i < 100 && !now.ended; i++) {
      mostHeldS = Math.max(mostHeldS, now.ranges.reduce((sum, [a, b]) => sum + b - a, 0));
      await page.waitForTimeout(100);
      now = await buffered();
    }
    const firstMiddle = (firstGroup.start + firstGroup.end) / 2;
    console.log(
      `1 s buffer: held at most ${mostHeldS.toFixed(2)} s of the ${endS.toFixed(2)} s recording; ended at ${now.at.toFixed(2)} s holding ${JSON.stringify(now.ranges.map(([a, b]) => [+a.toFixed(2), +b.toFixed(2)]))}`,
    );
    const notices = await page.evaluate(() => window.__spotterReplay?.messages() ?? []);
    expect(now.ended, `plays to the end (notices: ${JSON.stringify(notices)})`).toBe(true);
    expect(holds(now.ranges, firstMiddle), 'the first group was dropped once the playhead passed it').toBe(false);
    // The seek bar to the first group's last frame, just before the group still held: the
    // player fetches the dropped group and shows that frame, not the held group's first.
    const end = await shown(page);
    if (!end) throw new Error('no frame on screen');
    const msOf = (rtp: number) => end.mediaTimeMs + ((rtp - end.rtpTimestamp) | 0) / 90;
    const lastOfFirst = frames.filter((f) => msOf(f.rtp_timestamp) < firstGroup.end * 1000 - 1).sort((a, b) => msOf(b.rtp_timestamp) - msOf(a.rtp_timestamp))[0];
    if (!lastOfFirst) throw new Error('no frame in the first group');
    await page.evaluate((ms) => {
      const bar = document.querySelector<HTMLInputElement>('#seek');
      if (!bar) throw new Error('no seek bar');
      bar.value = String(ms);
      bar.dispatchEvent(new Event('input', { bubbles: true }));
      bar.dispatchEvent(new Event('change', { bubbles: true }));
    }, Math.ceil(msOf(lastOfFirst.rtp_timestamp)));
    await expect.poll(async () => (await shown(page))?.rtpTimestamp, { timeout: 5000 }).toBe(lastOfFirst.rtp_timestamp);
    console.log(`seek bar to ${msOf(lastOfFirst.rtp_timestamp).toFixed(0)} ms, ${(firstGroup.end * 1000 - msOf(lastOfFirst.rtp_timestamp)).toFixed(0)} ms before the held group: that frame shown`);
    // And a click back on the mark's event: its frame, its mark, its group buffered again.
    await clickEntry(page, `.timeline-entry[data-kind="mark"][data-annotation="${second.annotation.id}"]`, second.annotation.frame_rtp_timestamp);
    expect(await shownMarks(page)).toContain(second.annotation.id);
    const back = await buffered();
    expect(holds(back.ranges, back.at), 'the group under the mark is fetched again').toBe(true);

    // ---- Cut by a crash: the video file ends inside its last fragment (as `kill -9` leaves
    // it). The recording still opens and plays up to its last whole fragment, marks and all.
    const dataDir = process.env.SPOTTER_DATA_DIR;
    if (!dataDir) throw new Error('SPOTTER_DATA_DIR is not set (the test script sets it)');
    const fullMs = await page.evaluate(() => window.__spotterReplay?.durationMs ?? 0);
    const videoFile = join(dataDir, 'recordings', recordingId, 'video.mp4');
    const cutAt = statSync(videoFile).size - 1000;
    truncateSync(videoFile, cutAt);
    const cut = (await (await get(request, trainer.token, `/api/recordings/${recordingId}`)).json()) as {
      video: { playable_bytes: number; damage: string | null };
    };
    expect(cut.video.playable_bytes).toBeLessThan(cutAt);
    expect(cut.video.playable_bytes).toBeGreaterThan(0);
    await page.reload();
    await page.waitForFunction(() => window.__spotterReplay?.opened === true && window.__spotterReplay.shown !== null, undefined, {
      timeout: 30_000,
    });
    const cutMs = await page.evaluate(() => window.__spotterReplay?.durationMs ?? 0);
    console.log(`cut by a crash: plays ${(cutMs / 1000).toFixed(2)} s of ${(fullMs / 1000).toFixed(2)} s`);
    expect(cutMs).toBeLessThan(fullMs);
    expect(cutMs).toBeGreaterThan(fullMs - 2000);
    await clickEntry(page, `.timeline-entry[data-kind="mark"][data-annotation="${second.annotation.id}"]`, second.annotation.frame_rtp_timestamp);
    expect(await shownMarks(page)).toContain(second.annotation.id);
  } finally {
    await closePage(page);
    await deleteViaPage(expert, second.annotation, request).catch(() => undefined);
    await closePage(expert);
  }
});
