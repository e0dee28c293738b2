// The page's protections against the running server: the headers it is served with, its
// Content-Security-Policy (which the page must work under), the invite token out of the
// address bar, and a signaling socket that other sites' pages cannot open.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, test, type Page } from '@playwright/test';
import { SPOTTER_URL, expectHeadsetHeard, expectVideoPlays, invite, waitForVideo } from './helpers';

/** Collects the page's CSP violations across its loads (a binding survives reloads). */
async function watchPolicyViolations(page: Page): Promise<string[]> {
  const seen: string[] = [];
  await page.exposeFunction('__policyViolation', (what: string) => seen.push(what));
  // Init scripts run before the page's own, and CSP does not apply to them.
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      const report = (window as unknown as { __policyViolation: (what: string) => void }).__policyViolation;
      report(`${e.effectiveDirective} refused ${e.blockedURI}`);
    });
  });
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) seen.push(`console: ${m.text()}`);
  });
  return seen;
}

test('n) an invite opens under the page security policy, the token leaves the address, a reload still joins', async ({
  browser,
}) => {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const violations = await watchPolicyViolations(page);
    const response = await page.goto(`${await invite('expert')}&name=Sofia`);
    const headers = response?.headers() ?? {};
    const policy = headers['content-security-policy'] ?? '';
    console.log(`page policy: ${policy}`);
    for (const directive of ["default-src 'none'", "script-src 'self'", "frame-ancestors 'none'", "base-uri 'none'"]) {
      expect(policy).toContain(directive);
    }
    expect(policy).not.toContain('unsafe');
    expect(headers['cache-control']).toBe('no-store');
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['x-frame-options']).toBe('DENY');
    expect(headers['referrer-policy']).toBe('no-referrer');

    // The page works under it: signaling (same-host WebSocket), video, voice.
    await waitForVideo(page);
    await expectVideoPlays(page, 2, 'video under the policy');
    await expectHeadsetHeard(page);
    await expect(page.locator('#room-info')).toContainText('Sofia (expert)');

    const url = new URL(page.url());
    expect(url.searchParams.has('token'), page.url()).toBe(false);
    expect([url.searchParams.get('room'), url.searchParams.get('name')]).toEqual(['demo', 'Sofia']);

    // A reload (the address has no token now) joins again with the one the tab kept.
    await page.reload();
    await waitForVideo(page);
    await expect(page.locator('#room-info')).toContainText('Sofia (expert)');
    await expect(page.locator('#status')).toHaveAttribute('data-state', 'live');
    expect(violations).toEqual([]);

    // The policy is enforced (and the watch above sees it): a script slipped into the page
    // does not run.
    const ran = await page.evaluate(() => {
      const script = document.createElement('script');
      script.textContent = 'document.body.dataset.injected = "ran"';
      document.body.append(script);
      return document.body.dataset.injected === 'ran';
    });
    expect(ran).toBe(false);
    await expect.poll(() => violations.some((v) => v.startsWith('script-src'))).toBe(true);
  } finally {
    await context.close();
  }
});

/** A page of another site (another port on loopback) with no policy of its own. */
async function otherSite(): Promise<{ server: Server; origin: string }> {
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end('<!doctype html><title>another site</title>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** Opens the server's signaling socket from `page`: 'open', or how it closed. */
function openSignaling(page: Page): Promise<string> {
  const url = `${SPOTTER_URL.replace(/^http/, 'ws')}/ws`;
  return page.evaluate(
    (url) =>
      new Promise<string>((resolve) => {
        const ws = new WebSocket(url);
        ws.onopen = () => {
          resolve('open');
          ws.close();
        };
        ws.onclose = (e) => resolve(`closed ${e.code}`);
      }),
    url,
  );
}

test("o) another site's page cannot open the signaling socket or frame the page", async ({ browser }) => {
  const { server, origin } = await otherSite();
  const context = await browser.newContext();
  try {
    // From the server's own origin the socket opens (the page at an unknown path: no join).
    const own = await context.newPage();
    await own.goto(`${SPOTTER_URL}/not-a-page`);
    expect(await openSignaling(own)).toBe('open');

    // From another site's page it does not: the server answers the handshake with 403.
    const other = await context.newPage();
    const errors: string[] = [];
    other.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await other.goto(origin);
    expect(await openSignaling(other)).toBe('closed 1006');
    console.log(`signaling from ${origin}: ${errors.join(' | ')}`);
    expect(errors.some((e) => e.includes('Unexpected response code: 403'))).toBe(true);

    // Framed by another site, the page does not load (frame-ancestors, X-Frame-Options).
    await other.setContent(`<iframe src="${SPOTTER_URL}/?room=demo"></iframe>`);
    const frame = other.frames()[1];
    await expect.poll(() => frame?.url() ?? '').toMatch(/^chrome-error:/);
  } finally {
    await context.close();
    server.close();
  }
});
