import { defineConfig } from '@playwright/test';

// Runs against an already running server (SPOTTER_URL) with a simulated headset in room `demo`.
// Uses the system's Chromium; Playwright never downloads a browser here. Every launch gets a
// fresh temporary profile (Playwright's own --user-data-dir), removed when the browser closes.
export default defineConfig({
  testDir: 'e2e',
  // The network tests need the emulated link (playwright.network.config.ts runs them), the
  // crash test a server killed in the middle of a recording (playwright.crash.config.ts), the
  // XR tests a headset on an OpenXR runtime (playwright.xr.config.ts).
  testIgnore: ['network.spec.ts', 'crash.spec.ts', 'xr*.spec.ts'],
  workers: 1,
  fullyParallel: false,
  timeout: 60_000,
  retries: 0,
  reporter: 'list',
  use: {
    baseURL: process.env.SPOTTER_URL ?? 'http://127.0.0.1:8080',
    browserName: 'chromium',
    viewport: { width: 1400, height: 900 },
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--use-fake-ui-for-media-stream',
        '--use-fake-device-for-media-stream',
        // Keep decoding and rAF running in a headless, unfocused page.
        '--autoplay-policy=no-user-gesture-required',
        '--disable-background-timer-throttling',
        '--disable-renderer-backgrounding',
        '--disable-backgrounding-occluded-windows',
      ],
    },
  },
});
