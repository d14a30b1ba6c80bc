import { processAlive } from '../../../test-support/provider-fixture.js';
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createDockerClient, readText, type DockerClient } from '../src/docker-client.js';
import { createTarArchive, type TarEntry } from '../src/tar-archive.js';

/**
 * A Docker daemon of the tests' own: `dockerd` on a private socket, with its data root in a
 * persistent cache (`~/.cache/vector/docker-data`, or `VECTOR_TEST_DOCKER_DATA`) so base
 * images and build cache survive between runs, and its socket, exec root and pid file in a
 * temp dir. No bridge, no iptables, no userland proxy: containers use host networking only.
 *
 * Test files running at once (vitest forks, or two runs on one machine) share one daemon,
 * since two daemons can't share a data root: each user registers under a lock, and the last
 * one to leave stops it.
 */
export const dockerDataRoot = process.env.VECTOR_TEST_DOCKER_DATA ?? join(homedir(), '.cache', 'vector', 'docker-data');
const coordinationDir = `${dockerDataRoot}-run`;
const lockDir = join(coordinationDir, 'lock');
const stateFile = join(coordinationDir, 'daemon.json');
const usersDir = join(coordinationDir, 'users');

/** A running daemon, or why there is none. */
export type TestDockerDaemon =
  | { ok: true; socketPath: string; client: DockerClient; release: () => Promise<void> }
  | { ok: false; reason: string; release: () => Promise<void> };

interface DaemonState {
  pid: number;
  socketPath: string;
  tempDir: string;
}

/** Starts the shared test daemon, or joins it when another test file already did. */
export async function acquireDockerDaemon(): Promise<TestDockerDaemon> {
  const none = async () => undefined;
  const dockerd = findDockerd();
  if (!dockerd) return { ok: false, reason: 'dockerd is not installed (apt-get install docker.io)', release: none };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'dockerd needs root to run here', release: none };
  mkdirSync(usersDir, { recursive: true });
  const user = join(usersDir, `${process.pid}-${randomBytes(4).toString('hex')}`);
  const started = await withLock(async () => {
    const current = readState();
    if (current && processAlive(current.pid) && (await answers(current.socketPath))) {
      writeFileSync(user, String(process.pid));
      return { ok: true as const, state: current };
    }
    if (current) stopDaemon(current);
    const launched = await launchDaemon(dockerd);
    if (launched.ok) writeFileSync(user, String(process.pid));
    return launched;
  });
  if (!started.ok) return { ok: false, reason: started.reason, release: none };
  const socketPath = started.state.socketPath;
  let released = false;
  return {
    ok: true,
    socketPath,
    client: createDockerClient({ socketPath }),
    release: async () => {
      if (released) return;
      released = true;
      await withLock(async () => {
        rmSync(user, { force: true });
        const others = readdirSync(usersDir).filter((name) => processAlive(Number(name.split('-')[0])));
        if (others.length > 0) return;
        for (const name of readdirSync(usersDir)) rmSync(join(usersDir, name), { force: true });
        const state = readState();
        if (state) await stopDaemonAndWait(state);
      });
    },
  };
}

/** `VECTOR_TEST_DOCKERD` (a path to dockerd) or the first dockerd found. */
function findDockerd(): string | null {
  const chosen = process.env.VECTOR_TEST_DOCKERD;
  if (chosen !== undefined) return existsSync(chosen) ? chosen : null;
  for (const candidate of ['/usr/sbin/dockerd', '/usr/bin/dockerd', '/usr/local/bin/dockerd']) if (existsSync(candidate)) return candidate;
  try {
    return execFileSync('/bin/sh', ['-c', 'command -v dockerd'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

async function launchDaemon(dockerd: string): Promise<{ ok: true; state: DaemonState } | { ok: false; reason: string }> {
  mkdirSync(dockerDataRoot, { recursive: true });
  const tempDir = mkdtempSync(join(tmpdir(), 'vector-dockerd-'));
  const socketPath = join(tempDir, 'docker.sock');
  const logPath = join(tempDir, 'dockerd.log');
  const log = openSync(logPath, 'a');
  const child = spawn(
    dockerd,
    [
      '--host', `unix://${socketPath}`,
      '--data-root', dockerDataRoot,
      '--exec-root', join(tempDir, 'exec'),
      '--pidfile', join(tempDir, 'docker.pid'),
      '--bridge=none', '--iptables=false', '--ip6tables=false', '--ip-forward=false', '--ip-masq=false', '--userland-proxy=false',
      '--log-level=warn',
    ],
    // Its own session: the daemon outlives the test file that started it while others use it.
    { detached: true, stdio: ['ignore', log, log], env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', HOME: homedir() } },
  );
  closeSync(log);
  child.unref();
  const state: DaemonState = { pid: child.pid ?? -1, socketPath, tempDir };
  writeFileSync(stateFile, JSON.stringify(state));
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (await answers(socketPath)) return { ok: true, state };
    if (!processAlive(state.pid)) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const output = existsSync(logPath) ? readFileSync(logPath, 'utf8').trim().split('\n').slice(-10).join('\n') : '';
  await stopDaemonAndWait(state);
  return { ok: false, reason: `dockerd did not start:\n${output}` };
}

async function answers(socketPath: string): Promise<boolean> {
  try {
    await createDockerClient({ socketPath }).ping();
    return true;
  } catch {
    return false;
  }
}

function stopDaemon(state: DaemonState): void {
  if (state.pid > 0 && processAlive(state.pid)) process.kill(state.pid, 'SIGTERM');
}

async function stopDaemonAndWait(state: DaemonState): Promise<void> {
  stopDaemon(state);
  const deadline = Date.now() + 30_000;
  while (state.pid > 0 && processAlive(state.pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  if (state.pid > 0 && processAlive(state.pid)) process.kill(state.pid, 'SIGKILL');
  // dockerd leaves its default network namespace mounted under the exec root.
  for (const mount of readMounts().filter((path) => path.startsWith(`${state.tempDir}/`))) {
    try {
      execFileSync('umount', ['-l', mount], { stdio: 'ignore' });
    } catch {
      // Already gone.
    }
  }
  rmSync(state.tempDir, { recursive: true, force: true });
  rmSync(stateFile, { force: true });
}

function readMounts(): string[] {
  try {
    return readFileSync('/proc/self/mounts', 'utf8').split('\n').map((line) => line.split(' ')[1] ?? '').filter((path) => path !== '');
  } catch {
    return [];
  }
}

function readState(): DaemonState | null {
  try {
    return JSON.parse(readFileSync(stateFile, 'utf8')) as DaemonState;
  } catch {
    return null;
  }
}

/** A mkdir lock across processes; a holder that died (or a lock older than 2 minutes) is broken. */
async function withLock<T>(body: () => Promise<T>): Promise<T> {
  const owner = join(lockDir, 'owner');
  for (let attempt = 0; ; attempt += 1) {
    try {
      mkdirSync(lockDir);
      writeFileSync(owner, String(process.pid));
      break;
    } catch {
      const holder = Number(existsSync(owner) ? readFileSync(owner, 'utf8') : 0);
      const age = existsSync(lockDir) ? Date.now() - statSync(lockDir).mtimeMs : 0;
      if ((holder > 0 && !processAlive(holder)) || age > 120_000) rmSync(lockDir, { recursive: true, force: true });
      else await new Promise((resolve) => setTimeout(resolve, 100 + (attempt % 5) * 20));
    }
  }
  try {
    return await body();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

/**
 * The tests' base image, made with the Engine API's import (`docker import`): a root
 * filesystem holding this process's Node binary, the pnpm CLI (its native binary), `/bin/sh`
 * (the system's shell), the shared libraries `ldd` lists for them and the dynamic loader,
 * minimal /etc/passwd and /etc/group, and the system's CA bundle (for installs through a
 * TLS-inspecting proxy). Tagged with a hash of its content; made only when that tag is
 * missing. No registry is involved.
 */
export async function ensureTestBaseImage(client: DockerClient): Promise<string> {
  const files = baseImageFiles();
  const hash = createHash('sha256');
  for (const file of files) hash.update(`${file.target}\n${file.mode}\n`).update(readFileSync(file.source));
  const tag = `vector-test/node-base:${hash.digest('hex').slice(0, 16)}`;
  try {
    await client.json('GET', `/images/${tag}/json`);
    return tag;
  } catch (error) {
    if ((error as { status?: number }).status !== 404) throw error;
  }
  const entries: TarEntry[] = files.map((file) => ({ path: file.target.slice(1), content: readFileSync(file.source), mode: file.mode }));
  entries.push(
    { path: 'etc/passwd', content: Buffer.from('root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n') },
    { path: 'etc/group', content: Buffer.from('root:x:0:\nnogroup:x:65534:\n') },
  );
  const caBundle = ['/etc/ssl/certs/ca-certificates.crt'].find((path) => existsSync(path));
  if (caBundle) entries.push({ path: caBundle.slice(1), content: readFileSync(caBundle) });
  const [name, version] = tag.split(':') as [string, string];
  const changes = ['ENV PATH=/usr/local/bin:/usr/bin:/bin', 'WORKDIR /', 'LABEL dev.vector.test-base=true'];
  if (caBundle) changes.push(`ENV SSL_CERT_FILE=${caBundle}`, `ENV NODE_EXTRA_CA_CERTS=${caBundle}`);
  const response = await client.stream('POST', '/images/create', { query: { fromSrc: '-', repo: name, tag: version, changes }, body: createTarArchive(entries), contentType: 'application/x-tar' });
  const text = await readText(response);
  if (/"error"/.test(text)) throw new Error(`docker import failed: ${text}`);
  return tag;
}

interface ImageFile {
  source: string;
  target: string;
  mode: number;
}

function baseImageFiles(): ImageFile[] {
  const require = createRequire(import.meta.url);
  const pnpmRoot = dirname(require.resolve('pnpm/package.json'));
  const pnpm = createRequire(join(pnpmRoot, 'package.json')).resolve('@pnpm/exe.linux-x64/pnpm');
  const shell = realpathSync('/bin/sh');
  const binaries: ImageFile[] = [
    { source: realpathSync(process.execPath), target: '/usr/local/bin/node', mode: 0o755 },
    { source: realpathSync(pnpm), target: '/usr/local/bin/pnpm', mode: 0o755 },
    { source: shell, target: '/bin/sh', mode: 0o755 },
  ];
  const libraries = new Map<string, ImageFile>();
  for (const binary of binaries) {
    let listing = '';
    try {
      listing = execFileSync('ldd', [binary.source], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    } catch {
      // A static binary: nothing to add.
    }
    for (const match of listing.matchAll(/(?:=>\s*)?(\/\S+)\s+\(0x/g)) {
      const path = match[1] as string;
      if (!libraries.has(path)) libraries.set(path, { source: realpathSync(path), target: path, mode: 0o755 });
    }
  }
  return [...binaries, ...[...libraries.values()].sort((a, b) => a.target.localeCompare(b.target))];
}
