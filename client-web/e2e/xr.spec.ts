// The expert's side of a headset in OpenXR mode on a real runtime (Monado, headless, a
// simulated head that the runtime moves): the video decodes, and a click on equipment resolves
// to that equipment with the runtime's head pose and shows in the headset's own video; when the
// runtime takes the headset from Spotter, the room shows the technician away; the mark is in
// both eyes' pictures where each eye's view projects it.
import { spawn } from 'node:child_process';
import { expect, test } from '@playwright/test';
import {
  PINK,
  clearAnnotations,
  closePage,
  deleteViaPage,
  dist3,
  expectVideoPlays,
  headsetShownUs,
  keyWorldPoint,
  openExpert,
  pinkPixelsAtPoint,
  picturePinkPixels,
  pointAtEquipment,
  projectNormalized,
  shownNow,
} from './helpers';
import { eyeCamera, eyePictures, panelPlate, type EyeShot } from './eyes';

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

test("d) the mark shows in both eyes where each eye's view projects it, and stays put as the head moves", async ({
  browser,
  request,
}) => {
  const page = await openExpert(browser, 'Ana');
  // A blank page decodes the eyes' PNGs (the expert's page allows no data: URLs).
  const decoder = await browser.newPage();
  try {
    await clearAnnotations(page, request);
    const { annotation } = await pointAtEquipment(page, request, 'panel-1');
    const world = keyWorldPoint(annotation);
    await expect.poll(() => headsetShownUs(annotation.id), { timeout: 10_000 }).not.toBeNull();
    // Two frames 1.5 s apart: the runtime's simulated head has moved and turned between them.
    const shots: EyeShot[] = [await eyePictures()];
    await page.waitForTimeout(1500);
    shots.push(await eyePictures());
    const seen: { x: number; y: number }[][] = [];
    for (const shot of shots) {
      const inShot: { x: number; y: number }[] = [];
      for (const eye of shot.eyes) {
        const camera = eyeCamera(eye);
        const uv = projectNormalized(camera, world);
        expect(uv, `panel-1's mark is in front of the ${eye.eye} eye`).not.toBeNull();
        if (!uv) continue;
        const pink = await picturePinkPixels(decoder, eye.png, uv, 15);
        const at = { x: uv[0] * eye.width, y: uv[1] * eye.height };
        console.log(
          `shot ${shot.shot}, ${eye.eye} eye (${eye.width}x${eye.height}): the mark projects to ` +
            `(${at.x.toFixed(1)}, ${at.y.toFixed(1)}); ${pink?.count ?? 0} pink pixels, centred ` +
            `${Math.hypot(pink?.dx ?? 0, pink?.dy ?? 0).toFixed(2)} px from it`,
        );
        expect(pink?.count, `the mark in the ${eye.eye} eye`).toBeGreaterThanOrEqual(3);
        expect(Math.hypot(pink?.dx ?? 99, pink?.dy ?? 99), `where the ${eye.eye} eye projects it`).toBeLessThan(1.5);
        inShot.push({ x: at.x + (pink?.dx ?? 0), y: at.y + (pink?.dy ?? 0) });
      }
      const [left, right] = inShot;
      if (left && right) console.log(`shot ${shot.shot}: the eyes see it ${(left.x - right.x).toFixed(1)} px apart`);
      seen.push(inShot);
    }
    // World-locked, not head-locked: the head moved, so the mark moved in the eyes' pictures,
    // each time to where the eye's new view puts it (checked above).
    const [first, second] = shots;
    const headMoved = dist3(first?.eyes[0]?.pose.position ?? [0, 0, 0], second?.eyes[0]?.pose.position ?? [0, 0, 0]);
    const markMoved = Math.hypot((seen[1]?.[0]?.x ?? 0) - (seen[0]?.[0]?.x ?? 0), (seen[1]?.[0]?.y ?? 0) - (seen[0]?.[0]?.y ?? 0));
    console.log(`between the shots the left eye moved ${(headMoved * 1000).toFixed(0)} mm and the mark ${markMoved.toFixed(1)} px in it`);
    expect(markMoved, 'the head moved enough to tell world-locked from head-locked').toBeGreaterThan(3);

    // The status panel, head-locked near the left edge, is whole in both eyes: the right eye
    // sees it further left, and it stands where that eye still sees all of it.
    const widths: number[] = [];
    for (const eye of first?.eyes ?? []) {
      const plate = await panelPlate(decoder, eye);
      console.log(`the status panel in the ${eye.eye} eye: columns ${plate.first} to ${plate.last}`);
      expect(plate.first, `the panel's left edge is inside the ${eye.eye} eye`).toBeGreaterThan(0);
      widths.push(plate.last - plate.first + 1);
    }
    expect(Math.abs((widths[0] ?? 0) - (widths[1] ?? 99)), 'as wide in both eyes').toBeLessThanOrEqual(2);
    await deleteViaPage(page, annotation, request);
  } finally {
    await decoder.close();
    await closePage(page);
  }
});
