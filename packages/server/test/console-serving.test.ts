import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { consoleAssetsBuilt } from '@vector/console';
import { describeEachDatabase, testDatabases } from '@vector/core/testing';
import Fastify from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { consolePlugin } from '../src/console/console-plugin.js';
import { buildConsoleOnce } from './console-build.js';
import { useServer } from './server-fixture.js';

describeEachDatabase('the console at /console', (database) => {
  beforeAll(buildConsoleOnce, 180_000);
  const server = useServer(database);

  it('serves the app without credentials under a strict CSP, and index.html for any page below it', async () => {
    const { app } = server();
    for (const url of ['/console', '/console/', '/console/projects/abc/versions']) {
      const page = await app.inject({ method: 'GET', url });
      expect(page.statusCode, url).toBe(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.headers['content-security-policy']).toBe("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
      expect(page.headers['cache-control']).toBe('no-cache');
      expect(page.body).toContain('<div id="root"></div>');
      // No inline script: the CSP allows none.
      expect(page.body).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    }
    const script = /src="(\/console\/assets\/[^"]+\.js)"/.exec((await app.inject({ method: 'GET', url: '/console' })).body)?.[1];
    expect(script).toBeDefined();
    const asset = await app.inject({ method: 'GET', url: script as string });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['content-type']).toMatch(/javascript/);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect((await app.inject({ method: 'GET', url: '/console/assets/missing.js' })).statusCode).toBe(404);
    // Out of the assets folder: refused (send answers 403 for a path climbing out of its root).
    expect([403, 404]).toContain((await app.inject({ method: 'GET', url: '/console/assets/..%2f..%2fpackage.json' })).statusCode);
  });

  it('holds no secret: the page is the same bytes for everyone', async () => {
    const { app, key } = server();
    const anonymous = await app.inject({ method: 'GET', url: '/console' });
    const withKey = await app.inject({ method: 'GET', url: '/console', headers: { authorization: `Bearer ${key}` } });
    expect(withKey.body).toBe(anonymous.body);
    expect(anonymous.body).not.toContain(key);
  });
});

// Whether the plugin is registered does not depend on the database: SQLite only.
describe('the console switched off or missing', () => {
  const sqlite = testDatabases().find((database) => database.name === 'sqlite');
  if (!sqlite) throw new Error('SQLite is always a test database');
  const off = useServer(sqlite, { console: false });

  it('answers 404 with console: false', async () => {
    expect((await off().app.inject({ method: 'GET', url: '/console' })).statusCode).toBe(404);
  });

  it('answers 503 with how to build it when the assets are missing, and the server stays up', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'vector-console-missing-'));
    const app = Fastify();
    await app.register(consolePlugin, { assetsDir: empty });
    try {
      const answer = await app.inject({ method: 'GET', url: '/console/projects' });
      expect(answer.statusCode).toBe(503);
      expect(answer.body).toContain('pnpm --filter @vector/console build');
      expect(answer.headers['content-security-policy']).toContain("default-src 'none'");
      expect(consoleAssetsBuilt()).toBe(true);
    } finally {
      await app.close();
      await rm(empty, { recursive: true, force: true });
    }
  });
});
