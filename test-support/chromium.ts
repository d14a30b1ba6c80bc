import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page, type Response } from 'playwright-core';
import { expect } from 'vitest';

/** Debian's Chromium, which `.ci/run` installs; override with VECTOR_CHROMIUM. */
export const chromiumPath = process.env.VECTOR_CHROMIUM ?? '/usr/bin/chromium';

/** True when a Chromium binary is there to drive. */
export function chromiumAvailable(): boolean {
  return existsSync(chromiumPath);
}

/**
 * True when a test should skip its browser check: Chromium is not installed here. CI installs
 * Chromium: there, its absence fails the test instead.
 */
export function skipWithoutChromium(): boolean {
  if (chromiumAvailable()) return false;
  expect(process.env.CI, 'Chromium is required in CI (/usr/bin/chromium)').toBeFalsy();
  return true;
}

/**
 * Launches headless Chromium with the flags this machine needs (no sandbox as root, no
 * background networking, which a closed network refuses), mapping every `*.localhost`
 * host to 127.0.0.1 as browsers do.
 */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--host-resolver-rules=MAP *.localhost 127.0.0.1'],
  });
}

/** Opens `url` in a new page of a freshly launched Chromium and runs `use` on the page and the response; closes the browser afterwards. */
export async function inChromium<T>(url: string, use: (page: Page, response: Response | null) => Promise<T>): Promise<T> {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    return await use(page, await page.goto(url));
  } finally {
    await browser.close();
  }
}

/**
 * On a page showing the sample counter app (provider-local's `viteReactApp`): waits for its
 * heading, clicks its button and waits until the button counts the click. With `fromZero`, it
 * first checks that the button counts no click yet.
 */
export async function clickCounter(page: Page, options: { fromZero?: boolean } = {}): Promise<void> {
  await page.getByRole('heading', { name: 'Hello from Vector' }).waitFor({ timeout: 15_000 });
  const button = page.getByRole('button');
  if (options.fromZero) expect(await button.textContent()).toBe('clicked 0 times');
  await button.click();
  await expect.poll(() => button.textContent()).toBe('clicked 1 times');
}

/**
 * The dependency cache that build tests share across runs (CI keeps it between runs on one
 * machine), so only the first run ever fetches from the registry.
 */
export const testBuildCacheDir = process.env.VECTOR_TEST_BUILD_CACHE ?? join(homedir(), '.cache', 'vector', 'test-builds');
