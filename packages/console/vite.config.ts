import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The console is served by the reference server under /console/; every asset ships in
// dist/app (no CDN), with hashed names so the server may cache them for long.
export default defineConfig({
  root: fileURLToPath(new URL('./app', import.meta.url)),
  base: '/console/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('./dist/app', import.meta.url)),
    emptyOutDir: true,
    // No inline scripts or data: URLs, so the strict Content-Security-Policy holds.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
});
