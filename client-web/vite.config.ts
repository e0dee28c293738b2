import { defineConfig } from 'vitest/config';

// The Rust server serves dist/ at `/` (with index.html as the fallback for unknown paths), so
// asset URLs are absolute from the root: they keep working from any path the page is loaded at.
// `npm run dev` proxies signaling and the REST API to a locally running server.
const server = process.env.SPOTTER_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 1024,
    // Two pages: the live room (index.html) and the trainers' recordings (recordings.html).
    rolldownOptions: { input: { main: 'index.html', recordings: 'recordings.html' } },
  },
  server: {
    proxy: {
      '/ws': { target: server.replace(/^http/, 'ws'), ws: true },
      '/api': { target: server },
    },
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
