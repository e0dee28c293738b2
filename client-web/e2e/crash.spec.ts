// `kill -9` in the middle of a recording: scripts/test had the technician start one from the
// headset, killed the server a few seconds later (SPOTTER_KILLED_AT_MS) and started it again
// on the same data. The recording is listed, opens in the player with no repair step and plays
// to its end, short of at most the last 2 s of media.
import { expect, test } from '@playwright/test';
import type { RecordingListing } from '../src/generated/protocol';
import type { RecordingDetail } from '../src/library/api';
// Types only: it declares `window.__spotterReplay` (no page code is imported).
import type {} from '../src/replay/hooks';
import { SPOTTER_URL, closePage, newInvite } from './helpers';

test('a recording cut by kill -9 is listed after the restart and plays in the browser to its end', async ({ browser, request }) => {
  const killedAt = Number(process.env.SPOTTER_KILLED_AT_MS);
  expect(killedAt, 'SPOTTER_KILLED_AT_MS (the test script sets it)').toBeGreaterThan(0);
  const trainer = await newInvite('trainer');
  const api = async <T>(path: string): Promise<T> => {
    const res = await request.get(`${SPOTTER_URL}${path}`, { headers: { authorization: `Bearer ${trainer.token}` } });
    expect(res.ok(), `GET ${path}: ${res.status()}`).toBe(true);
    return (await res.json()) as T;
  };
  const { recordings } = await api<{ recordings: RecordingListing[] }>('/api/recordings');
  const cut = recordings[0];
  if (!cut) throw new Error('no recording listed');
  // Closed when the server started again, at about the kill.
  expect(cut.started_at_ms).toBeLessThan(killedAt);
  expect(cut.stopped_at_ms).not.toBeNull();
  const detail = await api<RecordingDetail>(`/api/recordings/${cut.recording_id}`);
  const media = detail.recording.media;
  if (!media) throw new Error('the recording has no video');
  const recordedMs = killedAt - media.started_at_ms;

  const page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
  try {
    await page.goto(trainer.recordings_url ?? '');
    await page.locator(`tr[data-recording="${cut.recording_id}"] a`).click();
    await page.waitForFunction(() => window.__spotterReplay?.opened === true && window.__spotterReplay.shown !== null, undefined, {
      timeout: 30_000,
    });
    expect(await page.evaluate(() => window.__spotterReplay?.messages() ?? []), 'no notice of damage').toEqual([]);
    const playsMs = await page.evaluate(() => window.__spotterReplay?.durationMs ?? 0);
    console.log(`kill -9: ${recordedMs} ms recorded before the kill, ${playsMs.toFixed(0)} ms play (${(recordedMs - playsMs).toFixed(0)} ms lost)`);
    expect(playsMs).toBeGreaterThan(recordedMs - 2000);
    // Media time runs on the headset's capture clock, the kill on this one: a little slack.
    expect(playsMs).toBeLessThanOrEqual(recordedMs + 300);

    await page.locator('#speed').selectOption('4');
    await page.locator('#play').click();
    await expect.poll(() => page.evaluate(() => document.querySelector('video')?.ended), { timeout: 15_000 }).toBe(true);
    const last = await page.evaluate(() => window.__spotterReplay?.shown ?? null);
    expect(last?.matched, 'the last frame shown has its record').toBe(true);
    expect(last?.mediaTimeMs ?? 0).toBeGreaterThan(playsMs - 500);
  } finally {
    await closePage(page);
  }
});
