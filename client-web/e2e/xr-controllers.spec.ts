// The wearer's controller buttons on a real OpenXR runtime: Monado's remote driver gives it
// two Valve Index controllers, and spotter-xr-controller presses their buttons, so each press
// goes through the runtime's action system (the bindings the headset suggested, xrSyncActions)
// to the room, where the expert sees what the technician asked for.
import { execFileSync } from 'node:child_process';
import { expect, test } from '@playwright/test';
import {
  clearAnnotations,
  clickInVideo,
  closePage,
  deleteViaPage,
  headsetStatusPanel,
  openExpert,
  room,
} from './helpers';

/** Waits until the status panel in the headset's eyes says (or, with `not`, no longer says) `words`. */
async function expectPanel(words: string, not = false): Promise<void> {
  const poll = expect.poll(headsetStatusPanel, { message: `the headset's status panel ${not ? 'without' : 'with'} "${words}"` });
  await (not ? poll.not.toContain(words) : poll.toContain(words));
}

/** Presses `button` on the runtime's `hand` controller and releases it. */
function press(hand: 'left' | 'right', button: 'a' | 'b'): void {
  const tool = process.env.SPOTTER_XR_CONTROLLER;
  if (!tool) throw new Error('SPOTTER_XR_CONTROLLER (the spotter-xr-controller binary) is not set');
  execFileSync(tool, [hand, button], { stdio: 'inherit', timeout: 15_000 });
}

test('left A mutes the technician and a second press unmutes them; the status panel says so', async ({ browser }) => {
  const page = await openExpert(browser, 'Ana');
  const technician = page.locator('.participant.role-technician');
  try {
    // The panel in the wearer's eyes names who came in.
    await expectPanel('Ana (expert)');
    await expect(technician.locator('.muted')).toHaveCount(0);
    press('left', 'a');
    await expect(technician.locator('.muted'), 'muted after the press').toBeVisible();
    await expectPanel('Microphone muted');
    // Only what that button is bound to.
    await expect(page.locator('#recording')).toHaveAttribute('data-recording', 'false');
    press('left', 'a');
    await expect(technician.locator('.muted'), 'unmuted after the second press').toHaveCount(0);
    await expectPanel('Microphone muted', true);
  } finally {
    await closePage(page);
  }
});

test("right A acknowledges the expert's newest mark", async ({ browser, request }) => {
  const page = await openExpert(browser, 'Ana');
  try {
    await clearAnnotations(page, request);
    const { annotation } = await clickInVideo(page, request, 0.5, 0.5);
    const row = page.locator(`[data-annotation-id="${annotation.id}"]`);
    await expect(row).toBeVisible();
    await expect(row.locator('.acknowledged')).toHaveCount(0);
    press('right', 'a');
    await expect(row.locator('.acknowledged'), 'seen after the press').toBeVisible();
    const now = await room(request);
    const technician = now.participants.find((p) => p.role === 'technician');
    if (!technician) throw new Error('no technician in the room');
    expect(now.annotations.find((a) => a.id === annotation.id)?.acknowledged_by).toBe(technician.id);
    await deleteViaPage(page, annotation, request);
  } finally {
    await closePage(page);
  }
});

test('left B starts the room recording and a second press stops it', async ({ browser }) => {
  const page = await openExpert(browser, 'Ana');
  const indicator = page.locator('#recording');
  try {
    await expect(indicator).toHaveAttribute('data-recording', 'false');
    press('left', 'b');
    await expect(indicator, 'recording after the press').toHaveAttribute('data-recording', 'true');
    await expect(indicator).toContainText('REC');
    await expectPanel('REC: started by you');
    await expect(page.locator('.participant.role-technician .muted'), 'the microphone untouched').toHaveCount(0);
    press('left', 'b');
    await expect(indicator, 'stopped after the second press').toHaveAttribute('data-recording', 'false');
    await expectPanel('REC', true);
  } finally {
    await closePage(page);
  }
});
