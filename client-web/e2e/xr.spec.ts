// The expert's side of a headset in OpenXR mode on a real runtime (Monado, headless, a
// simulated head that the runtime moves): the video decodes, and a click on equipment resolves
// to that equipment with the runtime's head pose and shows in the headset's own video; when the
// runtime takes the headset from Spotter, the room shows the technician away.
import { spawn } from 'node:child_process';
import { expect, test } from '@playwright/test';
import {
  PINK,
  clearAnnotations,
  closePage,
  deleteViaPage,
  dist3,
  expectVideoPlays,
  keyWorldPoint,
  openExpert,
  pinkPixelsAtPoint,
  pointAtEquipment,
  shownNow,
} from './helpers';

test('a) the page decodes the XR headset video, stamped with tracked poses', async ({ browser }) => {
  const page = await openExpert(browser, 'Ana');
  try {
    // The software renderer draws both eyes and the stream: about 10 frames a second here.
    await expectVideoPlays(page, 3, "the XR headset's video", 0.5);
    const first = (await shownNow(page)).shown;
    await page.waitForTimeout(1500);
    const later = (await shownNow(page)).shown;
    expect(later.rtpTimestamp).not.toBe(first.rtpTimestamp);
    const moved = dist3(first.frame.pose.position, later.frame.pose.position);
    console.log(`the tracked camera moved ${(moved * 1000).toFixed(1)} mm in 1.5 s`);
    expect(moved).toBeGreaterThan(0);
  } finally {
    await closePage(page);
  }
});

test('b) a click on panel-1 resolves to it and shows in the XR headset video', async ({ browser, request }) => {
  const page = await openExpert(browser, 'Ana');
  try {
    await clearAnnotations(page, request);
    const { annotation, marker } = await pointAtEquipment(page, request, 'panel-1');
    expect(annotation.anchor.type === 'equipment' && annotation.anchor.equipment_id).toBe('panel-1');
    // The virtual source resolves on the scene itself: the page says the spot is exact.
    expect(annotation.surface).toBe('exact');
    await expect(page.locator(`[data-annotation-id="${annotation.id}"] .surface`)).toHaveText('exact');
    const world = keyWorldPoint(annotation);
    const offMarker = dist3(world, marker);
    console.log(`resolved ${(offMarker * 1000).toFixed(1)} mm from the marker`);
    expect(offMarker).toBeLessThan(0.02);
    const best = await pinkPixelsAtPoint(page, world, 5000);
    console.log(`pink pixels near the projected point in the XR video: ${best.count}`);
    expect(best.count).toBeGreaterThanOrEqual(3);
    expect(annotation.color.toLowerCase()).toBe(PINK);
    await deleteViaPage(page, annotation, request);
  } finally {
    await closePage(page);
  }
});

/** Runs `command` inside the OpenXR runtime's chroot (scripts/xr-runtime run), in a process
 * group of its own so that `stop` ends all of it. */
function inRuntime(command: string): { stop(): void } {
  const xr = process.env.SPOTTER_XR_RUNTIME;
  if (!xr) throw new Error('SPOTTER_XR_RUNTIME (scripts/xr-runtime) is not set');
  const child = spawn(xr, ['run', 'sh', '-c', command], { stdio: 'ignore', detached: true });
  return {
    stop() {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
    },
  };
}

test('c) another app taking the headset shows the technician away, and back when it leaves', async ({ browser }) => {
  const page = await openExpert(browser, 'Ana');
  // Monado gives the headset to the newest app: Monado's own test app stands in for the
  // wearer taking the headset off (the runtime drops Spotter's session out of FOCUSED).
  const other = inRuntime('sleep 120 | hello_xr -G Vulkan2');
  try {
    const technician = page.locator('.participant.role-technician');
    await expect(technician).toHaveCount(1);
    await expect(technician.locator('.away'), 'away once the other app has the headset').toBeVisible({ timeout: 30_000 });
    await expect(technician.locator('.away')).toHaveAttribute('title', /headset is off/);
  } finally {
    other.stop();
  }
  try {
    await expect(page.locator('.participant.role-technician .away'), 'back when the headset is returned').toHaveCount(0, { timeout: 30_000 });
  } finally {
    await closePage(page);
  }
});
