import { defineConfig } from '@playwright/test';
import base from './playwright.config';

// Against a server whose room `demo` has the headset in `--mode xr` on Monado (scripts/test's
// xr phase starts both): its head is tracked by the runtime, not scripted. Project `virtual`
// for the headset streaming the factory rendered from the tracked head, `camera` for one
// streaming a camera's pictures (the test pattern: no camera on these machines), `controllers`
// for one on Monado's remote driver, whose controller buttons the tests press.
export default defineConfig({
  ...base,
  testIgnore: undefined,
  projects: [
    { name: 'virtual', testMatch: 'xr.spec.ts' },
    { name: 'camera', testMatch: 'xr-camera.spec.ts' },
    { name: 'controllers', testMatch: 'xr-controllers.spec.ts' },
  ],
});
