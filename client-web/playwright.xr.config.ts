import { defineConfig } from '@playwright/test';
import base from './playwright.config';

// Against a server whose room `demo` has the headset in `--mode xr` on Monado (scripts/test's
// xr phase starts both): its head is tracked by the runtime, not scripted.
export default defineConfig({
  ...base,
  testIgnore: undefined,
  testMatch: 'xr.spec.ts',
});
