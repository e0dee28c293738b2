import { defineConfig } from '@playwright/test';
import base from './playwright.config';

// After scripts/test killed the e2e server with SIGKILL in the middle of a recording and
// started it again (SPOTTER_KILLED_AT_MS says when it was killed).
export default defineConfig({
  ...base,
  testIgnore: undefined,
  testMatch: 'crash.spec.ts',
});
