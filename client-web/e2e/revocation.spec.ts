// What an expert's page does when the administrator revokes its invite or deletes its room:
// it is told why, in words, and does not keep knocking at a door that stays shut.
import { expect, test, type Page } from '@playwright/test';
import type { RoomSnapshot } from '../src/generated/protocol';
import { closePage, SPOTTER_URL } from './helpers';

const ADMIN_KEY = process.env.SPOTTER_ADMIN_KEY ?? '';

async function admin(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${SPOTTER_URL}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function expertInvite(room: string, name: string): Promise<{ url: string; invite_id: string }> {
  const res = await admin('POST', `/api/admin/rooms/${room}/invites`, { role: 'expert', name });
  expect(res.status, 'an invite (is SPOTTER_ADMIN_KEY set?)').toBe(201);
  return (await res.json()) as { url: string; invite_id: string };
}

async function namesIn(room: string): Promise<string[]> {
  const res = await admin('GET', `/api/rooms/${room}`);
  if (!res.ok) return [];
  return ((await res.json()) as RoomSnapshot).participants.map((p) => p.name);
}

/** Opens `url` in a fresh page and counts the signaling connections it opens. */
async function openCounting(browser: import('@playwright/test').Browser, url: string) {
  const page: Page = await (await browser.newContext()).newPage();
  let sockets = 0;
  page.on('websocket', () => sockets++);
  await page.goto(url);
  return { page, sockets: () => sockets };
}

test('an expert whose invite is revoked is removed, told why, and does not come back', async ({ browser }) => {
  const invite = await expertInvite('demo', 'Rita');
  const { page, sockets } = await openCounting(browser, invite.url);
  try {
    await expect.poll(() => namesIn('demo')).toContain('Rita');
    const res = await admin('DELETE', `/api/admin/rooms/demo/invites/${invite.invite_id}`);
    expect(res.status).toBe(200);
    await expect(page.locator('#messages [data-code="invite_revoked"]')).toBeVisible();
    await expect(page.locator('#messages [data-code="invite_revoked"]')).toContainText('revoked');
    await expect.poll(() => namesIn('demo')).not.toContain('Rita');
    // Long enough for several reconnection attempts, were the page making them.
    await page.waitForTimeout(4000);
    expect(sockets(), 'no reconnection with a revoked invite').toBe(1);
    expect(await namesIn('demo')).not.toContain('Rita');
  } finally {
    await closePage(page);
  }
});

test("an expert in a room that is deleted is told, and stops at the room's absence", async ({ browser }) => {
  const room = `e2e-deleted-${Date.now()}`;
  expect((await admin('POST', '/api/admin/rooms', { room })).status).toBe(201);
  const invite = await expertInvite(room, 'Dora');
  const { page, sockets } = await openCounting(browser, invite.url);
  try {
    await expect.poll(() => namesIn(room)).toContain('Dora');
    expect((await admin('DELETE', `/api/admin/rooms/${room}`)).status).toBe(200);
    await expect(page.locator('#messages [data-code="server_closing"]')).toContainText('deleted');
    // It tries once more (a closing server may come back) and hears the room is gone.
    await expect(page.locator('#messages [data-code="unknown_room"]')).toBeVisible({ timeout: 10_000 });
    await page.waitForTimeout(4000);
    expect(sockets(), 'one reconnection, then none').toBe(2);
  } finally {
    await closePage(page);
  }
});
