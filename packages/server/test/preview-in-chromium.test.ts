import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, inChromium } from '../../../test-support/chromium.js';
import { viteReactApp } from '../../provider-local/test/sample-apps.js';
import { type LocalPreviewStack, startLocalPreviewStack } from './local-preview-stack.js';

// The acceptance test of local previews: a real Vite + React + TypeScript app uploaded over
// HTTP, built on this machine (install from the shared cache, tsc, vite build), and used in
// headless Chromium at its preview URL, http://<id>.preview.localhost:<port>/, through the
// gateway. CI installs Chromium: there its absence fails the test; elsewhere it skips.
const browserMissing = !chromiumAvailable() && !process.env.CI;

describe.skipIf(browserMissing)('a Vite + React preview in Chromium', () => {
  let stack: LocalPreviewStack;
  beforeAll(async () => {
    stack = await startLocalPreviewStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('opens at its preview URL, says hello, and counts a click', async () => {
    expect(chromiumAvailable(), 'Chromium is required in CI (/usr/bin/chromium, or VECTOR_CHROMIUM)').toBe(true);
    const projectId = await stack.uploadProject('counter', viteReactApp());
    const live = await stack.deployPreview(projectId, 360_000);
    expect(live.status, JSON.stringify(live.error)).toBe('live');
    const url = new URL(live.url as string);
    expect(url.hostname).toMatch(/^[a-z0-9-]+\.preview\.localhost$/);
    expect(Number(url.port)).toBe(stack.previewPort);

    await inChromium(live.url as string, async (page, response) => {
      expect(response?.status()).toBe(200);
      await page.getByRole('heading', { name: 'Hello from Vector' }).waitFor({ timeout: 15_000 });
      await page.getByRole('button', { name: 'clicked 0 times' }).click();
      await expect.poll(() => page.getByRole('button').textContent()).toBe('clicked 1 times');
      // The SPA fallback: a deep link still opens the app.
      await page.goto(new URL('/some/route', live.url as string).href);
      await page.getByRole('heading', { name: 'Hello from Vector' }).waitFor({ timeout: 15_000 });
    });
  }, 420_000);
});
