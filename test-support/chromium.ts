import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium, which `.ci/run` installs; override with VECTOR_CHROMIUM. */
export const chromiumPath = process.env.VECTOR_CHROMIUM ?? '/usr/bin/chromium';

/** True when a Chromium binary is there to drive. */
export function chromiumAvailable(): boolean {
  return existsSync(chromiumPath);
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

/**
 * The dependency cache that build tests share across runs (CI keeps it between runs on one
 * machine), so only the first run ever fetches from the registry.
 */
export const testBuildCacheDir = process.env.VECTOR_TEST_BUILD_CACHE ?? join(homedir(), '.cache', 'vector', 'test-builds');
