import { request } from 'node:http';
import { deploymentProviderConformance } from '@vector/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createLocalProvider, type LocalProvider } from '../src/index.js';
import { cacheDir, deployFiles, logText, makeStateDir, processAlive, settle } from './local-fixture.js';
import { nodeServerApp, sourceFiles, viteReactApp } from './sample-apps.js';

deploymentProviderConformance({
  name: 'local',
  create: async () => {
    const { stateDir, remove } = await makeStateDir();
    return { provider: createLocalProvider({ stateDir, cacheDir }), cleanup: remove };
  },
  checkUrl: true,
  pollIntervalMs: 20,
});

/** GET through a `publicUrl`-style host name, sent to 127.0.0.1 with that Host header. */
function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('local provider', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  async function provider(options: Parameters<typeof createLocalProvider>[0] = {}): Promise<LocalProvider> {
    const { stateDir, remove } = await makeStateDir();
    // Off by default here: the cache survives between runs, and these tests watch real builds.
    const created = createLocalProvider({ stateDir, cacheDir, maxCachedOutputs: 0, ...options });
    await created.init?.();
    cleanups.push(async () => {
      await created.dispose?.();
      await remove();
    });
    return created;
  }

  it('builds a Vite + React + TypeScript app and serves its output with an SPA fallback', async () => {
    const local = await provider();
    const state = await deployFiles(local, viteReactApp());
    const live = await settle(local, state.providerDeploymentId);
    expect(live).toMatchObject({ status: 'live', providerStatus: 'serving' });
    const page = await get(live.url as string);
    expect(page.status).toBe(200);
    expect(page.body).toMatch(/<script type="module" crossorigin src="\/assets\/index-[\w-]+\.js"><\/script>/);
    const route = await get(`${live.url}some/client/route`);
    expect(route.body).toBe(page.body);
    const logs = await logText(local, state.providerDeploymentId);
    expect(logs).toContain('build plan: spa with pnpm');
    expect(logs).toContain('$ pnpm exec tsc --noEmit');
    expect(logs).toMatch(/built in \d+/);
  }, 300_000);

  it('installs a second build with the same dependencies from the cache alone (the registry is unreachable)', async () => {
    const first = await provider();
    expect((await settle(first, (await deployFiles(first, viteReactApp())).providerDeploymentId)).status).toBe('live');
    // Port 9 on loopback answers nothing: any registry request would fail the install.
    const offline = await provider({ registry: 'http://127.0.0.1:9/' });
    const state = await deployFiles(offline, viteReactApp({ 'src/App.tsx': "export function App() {\n  return <h1>Changed code, same dependencies</h1>;\n}\n" }));
    const live = await settle(offline, state.providerDeploymentId);
    expect(live.status, await logText(offline, state.providerDeploymentId)).toBe('live');
    expect(await logText(offline, state.providerDeploymentId)).toContain('dependencies installed from the cache (offline)');
  }, 300_000);

  it('reuses the built output of the exact same files, and builds again when one changes', async () => {
    const local = await provider({ maxCachedOutputs: 5 });
    const marker = `run ${process.pid} ${Date.now()}`;
    const app = viteReactApp({ 'src/marker.ts': `export const marker = ${JSON.stringify(marker)};\n` });
    const first = await settle(local, (await deployFiles(local, app)).providerDeploymentId);
    expect(first.status).toBe('live');
    expect(await logText(local, first.providerDeploymentId)).toContain('$ pnpm exec tsc --noEmit');
    const second = await settle(local, (await deployFiles(local, app)).providerDeploymentId);
    expect(second.status).toBe('live');
    const logs = await logText(local, second.providerDeploymentId);
    expect(logs).toContain('build output reused');
    expect(logs).not.toContain('$ pnpm');
    expect((await get(second.url as string)).body).toBe((await get(first.url as string)).body);
    const changed = await settle(local, (await deployFiles(local, viteReactApp({ 'src/marker.ts': `export const marker = ${JSON.stringify(`${marker}!`)};\n` }))).providerDeploymentId);
    expect(await logText(local, changed.providerDeploymentId)).toContain('$ pnpm exec tsc --noEmit');
    // The same files with other variables are another build: a bundler bakes VITE_… values in.
    const otherVariables = await settle(local, (await deployFiles(local, app, { env: { VITE_GREETING: 'hi' } })).providerDeploymentId);
    expect(await logText(local, otherVariables.providerDeploymentId)).toContain('$ pnpm exec tsc --noEmit');
  }, 300_000);

  it('fails a type error with the compiler message, file and line', async () => {
    const local = await provider();
    const broken = viteReactApp({ 'src/App.tsx': "export function App() {\n  const count: number = 'zero';\n  return <h1>{count}</h1>;\n}\n" });
    const state = await settle(local, (await deployFiles(local, broken)).providerDeploymentId);
    expect(state.status).toBe('failed');
    expect(state.error?.code).toBe('TYPECHECK_FAILED');
    expect(state.error?.message).toMatch(/src\/App\.tsx:2:\d+: error TS2322/);
    expect(await logText(local, state.providerDeploymentId)).toMatch(/src\/App\.tsx\(2,\d+\): error TS2322/);
  }, 300_000);

  it('fails a missing dependency, naming the import, file and line', async () => {
    const local = await provider();
    const broken = viteReactApp({ 'src/App.tsx': "import confetti from 'canvas-confetti';\n\nexport function App() {\n  return <h1 onClick={() => confetti()}>Hi</h1>;\n}\n" });
    const state = await settle(local, (await deployFiles(local, broken)).providerDeploymentId);
    expect(state.status).toBe('failed');
    expect(state.error?.message).toMatch(/src\/App\.tsx:1:\d+: error TS2307: Cannot find module 'canvas-confetti'/);
  }, 300_000);

  it('fails a build script that exits 1, with its output', async () => {
    const local = await provider();
    const files = sourceFiles({
      'package.json': JSON.stringify({ name: 'x', private: true, scripts: { build: "node -e \"console.error('bundler exploded at step 3'); process.exit(1)\"" } }),
      'index.html': '<h1>never served</h1>',
    });
    const state = await settle(local, (await deployFiles(local, files)).providerDeploymentId);
    expect(state.status).toBe('failed');
    expect(state.error?.code).toBe('BUILD_FAILED');
    expect(state.error?.message).toContain('exit 1');
    expect(state.error?.message).toContain('bundler exploded at step 3');
  }, 120_000);

  it('fails a version it cannot plan, saying why', async () => {
    const local = await provider();
    const state = await settle(local, (await deployFiles(local, sourceFiles({ 'README.md': '# nothing to run' }))).providerDeploymentId);
    expect(state.status).toBe('failed');
    expect(state.error?.code).toBe('PLAN_FAILED');
    expect(state.error?.message).toContain('no package.json and no index.html');
  });

  it('ends a build that runs past its time limit', async () => {
    const local = await provider({ buildTimeoutMs: 1500 });
    const files = sourceFiles({ 'package.json': JSON.stringify({ name: 'x', private: true, scripts: { build: 'sleep 60' } }), 'index.html': '<h1>x</h1>' });
    const started = Date.now();
    const state = await settle(local, (await deployFiles(local, files)).providerDeploymentId);
    expect(state.status).toBe('failed');
    expect(state.error?.message).toContain('timed out after 2 s');
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('starts a server app on PORT with a minimal environment: its own variables and secrets, nothing of this process', async () => {
    process.env.VECTOR_TEST_HOST_SECRET = 'host-secret-value';
    cleanups.push(async () => {
      delete process.env.VECTOR_TEST_HOST_SECRET;
    });
    const local = await provider();
    const state = await deployFiles(local, nodeServerApp('hi'), { env: { GREETING: 'bonjour' }, secrets: { API_TOKEN: 'token-value-123' } });
    const live = await settle(local, state.providerDeploymentId);
    expect(live).toMatchObject({ status: 'live', providerStatus: 'running' });
    const page = await get(live.url as string);
    expect(page.body).toContain('hi bonjour secret-visible=yes');
    expect(page.body).toContain('leaked=none');
    expect(page.body).not.toContain('host-secret-value');
    expect(page.body).toMatch(/home=\/.*\/home/);
    const logs = await logText(local, state.providerDeploymentId);
    expect(logs).toContain('listening on');
    expect(logs).not.toContain('token-value-123');
  }, 60_000);

  it('fails a server that never listens within the start timeout, with its output', async () => {
    const local = await provider({ startTimeoutMs: 2000 });
    const files = sourceFiles({ 'package.json': JSON.stringify({ name: 'x', private: true, scripts: { start: 'node idle.js' } }), 'idle.js': "console.log('warming up forever');\nsetInterval(() => {}, 1000);\n" });
    const started = Date.now();
    const state = await settle(local, (await deployFiles(local, files)).providerDeploymentId);
    expect(state.status).toBe('failed');
    expect(state.error?.code).toBe('START_FAILED');
    expect(state.error?.message).toContain('did not answer HTTP on PORT');
    expect(state.error?.message).toContain('warming up forever');
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('reports a server that crashes after going live as failed', async () => {
    const local = await provider();
    const files = sourceFiles({
      'package.json': JSON.stringify({ name: 'x', private: true, scripts: { start: 'node server.js' } }),
      'server.js': "require('node:http').createServer((q, s) => { s.end('bye'); if (q.url === '/exit') setTimeout(() => process.exit(3), 50); }).listen(process.env.PORT, process.env.HOST);\n",
    });
    const live = await settle(local, (await deployFiles(local, files)).providerDeploymentId);
    expect(live.status).toBe('live');
    await get(`${live.url}exit`);
    await expect.poll(async () => (await local.getStatus({ providerDeploymentId: live.providerDeploymentId })).status, { timeout: 10_000 }).toBe('failed');
    expect((await local.getStatus({ providerDeploymentId: live.providerDeploymentId })).error?.code).toBe('APP_EXITED');
  }, 60_000);

  const spawningServer = sourceFiles({
    'package.json': JSON.stringify({ name: 'x', private: true, scripts: { start: 'node server.js' } }),
    // The app starts a child of its own: killing the app must end it too.
    'server.js':
      "const { spawn } = require('node:child_process');\nconst child = spawn('sleep', ['600'], { stdio: 'ignore' });\nconsole.log('child pid ' + child.pid);\nrequire('node:http').createServer((q, s) => s.end('ok')).listen(process.env.PORT, process.env.HOST);\n",
  });
  async function liveWithChild(local: LocalProvider) {
    const live = await settle(local, (await deployFiles(local, spawningServer)).providerDeploymentId);
    expect(live.status).toBe('live');
    const pids = [...local.processIds(live.providerDeploymentId), Number(/child pid (\d+)/.exec(await logText(local, live.providerDeploymentId))?.[1])];
    expect(pids).toHaveLength(2);
    for (const pid of pids) expect(processAlive(pid)).toBe(true);
    return { live, pids };
  }

  it('destroy kills every process of the deployment and removes its directory', async () => {
    const local = await provider();
    const { live, pids } = await liveWithChild(local);
    await local.destroy({ providerDeploymentId: live.providerDeploymentId });
    for (const pid of pids) expect(processAlive(pid)).toBe(false);
    expect((await local.getStatus({ providerDeploymentId: live.providerDeploymentId })).status).toBe('destroyed');
    expect(local.resolveUpstream(live.providerDeploymentId)).toBeNull();
    await local.destroy({ providerDeploymentId: live.providerDeploymentId });
  }, 60_000);

  it('shutdown (dispose) kills every process, and the next start brings the deployment back at the same URL', async () => {
    const { stateDir, remove } = await makeStateDir();
    cleanups.push(remove);
    const publicUrl = 'http://{id}.preview.localhost:3999/';
    const first = createLocalProvider({ stateDir, cacheDir, publicUrl });
    await first.init?.();
    const { live, pids } = await liveWithChild(first);
    expect(live.url).toBe(`http://${live.providerDeploymentId}.preview.localhost:3999/`);
    await first.dispose?.();
    for (const pid of pids) expect(processAlive(pid)).toBe(false);

    const second = createLocalProvider({ stateDir, cacheDir, publicUrl });
    cleanups.push(async () => second.dispose?.());
    await second.init?.();
    expect((await second.getStatus({ providerDeploymentId: live.providerDeploymentId })).status).toBe('building');
    const back = await settle(second, live.providerDeploymentId);
    expect(back).toMatchObject({ status: 'live', url: live.url });
    const upstream = second.resolveUpstream(live.providerDeploymentId);
    expect(upstream).not.toBeNull();
    expect((await get(`http://127.0.0.1:${upstream?.port}/`)).body).toBe('ok');
    const logs = await second.getLogs({ providerDeploymentId: live.providerDeploymentId, cursor: `00000000:999` });
    expect(logs.entries.map((entry) => entry.message).join('\n')).toContain('restarting after a restart');
  }, 60_000);

  it('aborts a running build when destroyed, leaving no process', async () => {
    const local = await provider();
    const files = sourceFiles({ 'package.json': JSON.stringify({ name: 'x', private: true, scripts: { build: 'sleep 600' } }), 'index.html': '<h1>x</h1>' });
    const state = await deployFiles(local, files);
    await expect.poll(() => local.processIds(state.providerDeploymentId).length, { timeout: 10_000 }).toBe(1);
    const [pid] = local.processIds(state.providerDeploymentId);
    await local.destroy({ providerDeploymentId: state.providerDeploymentId });
    expect(processAlive(pid as number)).toBe(false);
    expect((await local.getStatus({ providerDeploymentId: state.providerDeploymentId })).status).toBe('destroyed');
  }, 30_000);

  it('refuses a state directory inside a Node project', async () => {
    const inside = createLocalProvider({ stateDir: new URL('../.state', import.meta.url).pathname, cacheDir });
    await expect(inside.init?.()).rejects.toMatchObject({ code: 'VALIDATION_FAILED', issues: [{ path: ['stateDir'] }] });
  });

  it('validates its options, naming the field', () => {
    expect(() => createLocalProvider({ publicUrl: 'http://preview.localhost/' })).toThrow(/publicUrl: must contain \{id\}|at publicUrl/);
    expect(() => createLocalProvider({ startTimeoutMs: -1 })).toThrow(/startTimeoutMs/);
  });
});
