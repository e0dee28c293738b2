import { defineConfig } from '@playwright/test';
import base from './playwright.config';

// The tests over an emulated link (scripts/test sets it up: the headset in a network namespace
// behind `spotter-link`, the server at SPOTTER_URL on the link's host address). The page is
// served from a plain-HTTP address that is not localhost, so Chromium is told to treat it as
// secure: browsers give the microphone only to secure pages.
const url = (process.env.SPOTTER_URL ?? 'http://10.77.0.1:18083').replace(/\/$/, '');
const launchOptions = base.use?.launchOptions ?? {};

export default defineConfig({
  ...base,
  testIgnore: undefined,
  testMatch: 'network.spec.ts',
  timeout: 120_000,
  use: {
    ...base.use,
    launchOptions: {
      ...launchOptions,
      args: [...(launchOptions.args ?? []), `--unsafely-treat-insecure-origin-as-secure=${url}`],
    },
  },
});
