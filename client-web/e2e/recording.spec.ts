// Recording in a live room: an expert starts and stops it, and every page shows it meanwhile,
// with who started it (pages open before the start hear of it, pages that join later get it
// in their join snapshot).
import { expect, test, type Page } from '@playwright/test';
import { closePage, headsetCommand, headsetRecordingLight, openExpert, openViewer, room } from './helpers';

const indicator = (page: Page) => page.locator('#recording');

async function expectRecording(page: Page, startedBy: string): Promise<void> {
  await expect(indicator(page)).toHaveAttribute('data-recording', 'true');
  await expect(indicator(page)).toContainText('REC');
  await expect(indicator(page)).toContainText(`by ${startedBy}`);
}

/** The light in the headset's own view shows the recording `startedBy` began, or 'off'. */
async function expectHeadsetLight(startedBy: string): Promise<void> {
  await expect.poll(headsetRecordingLight, { message: "the headset's recording light" }).toBe(startedBy);
}

async function expectNotRecording(page: Page): Promise<void> {
  await expect(indicator(page)).toHaveAttribute('data-recording', 'false');
  await expect(indicator(page)).not.toContainText('REC');
  expect(await page.evaluate(() => window.__spotter?.recording ?? null)).toBeNull();
}

test('an expert records: every page shows REC and who started it until the expert stops it', async ({ browser }) => {
  const expert = await openExpert(browser, 'Rita');
  const observer = await openViewer(browser, 'observer', 'Olga');
  const pages = [expert, observer];
  const record = expert.locator('#record');
  try {
    await expect(record).toBeVisible();
    await expect(record).toHaveAttribute('aria-pressed', 'false');
    await expect(observer.locator('#record')).toBeHidden(); // Observers may not record.
    for (const p of pages) await expectNotRecording(p);

    await record.click();
    await expect(record).toHaveAttribute('aria-pressed', 'true');
    for (const p of pages) await expectRecording(p, 'Rita');
    const expertId = await expert.evaluate(() => window.__spotter?.participantId);
    const seen = await observer.evaluate(() => window.__spotter?.recording);
    expect(seen?.status.started_by).toBe(expertId);
    expect(seen?.startedByName).toBe('Rita');
    await expect(indicator(expert)).toContainText('Rita (you)');
    await expectHeadsetLight(expertId ?? 'no id');

    // A trainer who joins while it records sees it at once, from the join snapshot.
    const trainer = await openViewer(browser, 'trainer', 'Tess');
    pages.push(trainer);
    await expectRecording(trainer, 'Rita');

    await record.click();
    await expect(record).toHaveAttribute('aria-pressed', 'false');
    for (const p of pages) await expectNotRecording(p);
    await expectHeadsetLight('off');
    // Nobody is told off: stopping by hand is not a notice.
    for (const p of pages) await expect(p.locator('.message[data-code^="recording"]')).toHaveCount(0);
  } finally {
    // Leave the room as it was for the next tests, even after a failure.
    if ((await record.getAttribute('aria-pressed')) === 'true') await record.click();
    for (const p of pages) await closePage(p);
  }
});

test('the technician records from the headset: every page shows REC by the technician, and the light in the headset goes out when they stop', async ({ browser, request }) => {
  const expert = await openExpert(browser, 'Rita');
  const record = expert.locator('#record');
  try {
    await expectNotRecording(expert);
    headsetCommand('record');
    await expectRecording(expert, 'Technician (simulated)');
    // The expert's own button follows the room, whoever started it.
    await expect(record).toHaveAttribute('aria-pressed', 'true');
    const technicianId = (await room(request)).participants.find((p) => p.role === 'technician')?.id;
    expect(technicianId).toBeDefined();
    await expectHeadsetLight(technicianId ?? 'no id');
    expect(await expert.evaluate(() => window.__spotter?.recording?.status.started_by)).toBe(technicianId);

    // A second "record" while it records changes nothing; "stop" stops it.
    headsetCommand('record');
    headsetCommand('stop');
    await expectNotRecording(expert);
    await expectHeadsetLight('off');
  } finally {
    if ((await record.getAttribute('aria-pressed')) === 'true') await record.click();
    await closePage(expert);
  }
});
