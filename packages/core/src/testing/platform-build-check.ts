/**
 * For fakes of platforms that build code (Railway, Render…): what a platform can tell from a
 * commit's files alone about the commands it is asked to run — a script that package.json does
 * not have, a frozen install without its lockfile, a `node` entry file that does not exist, a
 * directory to publish that neither the files nor the build's bundler make. Real platforms
 * fail such a deploy; a fake built on these helpers fails it the same way, with the log line
 * the tool would print. Kept simple on purpose: commands it does not know pass.
 */

/** A commit's files by path, as text. */
export type PlatformFiles = ReadonlyMap<string, string>;

const packageManagers = ['npm', 'pnpm', 'yarn', 'bun'];
const frozenLockfiles: Record<string, string[]> = { pnpm: ['pnpm-lock.yaml'], yarn: ['yarn.lock'], bun: ['bun.lock', 'bun.lockb'], npm: ['package-lock.json', 'npm-shrinkwrap.json'] };

/** Files as tests hand them over (text or bytes), keyed by path. */
export function filesByPath(files: ReadonlyArray<{ path: string; content: string | Uint8Array }>): Map<string, string> {
  return new Map(files.map((file) => [file.path.replace(/^\.\//, ''), typeof file.content === 'string' ? file.content : Buffer.from(file.content).toString('utf8')]));
}

function scriptsOf(files: PlatformFiles): Record<string, string> | null {
  const text = files.get('package.json');
  if (text === undefined) return null;
  try {
    const json = JSON.parse(text) as { scripts?: Record<string, unknown> };
    return Object.fromEntries(Object.entries(json.scripts ?? {}).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
  } catch {
    return {};
  }
}

const segmentsOf = (line: string) =>
  line
    .split(/&&|;|\|\|/)
    .map((segment) => segment.trim())
    .filter((segment) => segment !== '');

/** The package.json script a command runs (`npm run build`, `pnpm start`), if any. */
function scriptRun(words: string[]): string | null {
  const [tool, sub, name] = words;
  if (!tool || !packageManagers.includes(tool)) return null;
  if ((sub === 'run' || sub === 'run-script') && name) return name;
  if (sub === 'start') return 'start';
  return null;
}

function checkCommand(command: string, files: PlatformFiles): string | null {
  const words = command.split(/\s+/);
  const [tool, sub] = words;
  if (tool && packageManagers.includes(tool)) {
    const scripts = scriptsOf(files);
    if (!scripts) return `${tool} error: could not read package.json: ENOENT: no such file or directory`;
    const script = scriptRun(words);
    if (script !== null && scripts[script] === undefined) return `${tool} error Missing script: "${script}"`;
    if (tool === 'npm' && sub === 'ci' && !frozenLockfiles.npm?.some((path) => files.has(path))) {
      return 'npm error The `npm ci` command can only install with an existing package-lock.json or npm-shrinkwrap.json';
    }
    if (words.includes('--frozen-lockfile') && !frozenLockfiles[tool]?.some((path) => files.has(path))) return `${tool} error: a frozen install needs ${frozenLockfiles[tool]?.[0]}, which this commit does not have`;
    return null;
  }
  if (tool === 'node' && sub && !sub.startsWith('-')) {
    const entry = sub.replace(/^['"]|['"]$/g, '').replace(/^\.\//, '');
    if (!files.has(entry)) return `Error: Cannot find module '/app/${entry}'`;
  }
  return null;
}

/** The first error a command line (`a && b`) would stop on, or null when it can run. */
export function checkCommandLine(line: string | null | undefined, files: PlatformFiles): string | null {
  for (const segment of segmentsOf(line ?? '')) {
    const error = checkCommand(segment, files);
    if (error) return error;
  }
  return null;
}

/** Output directories of the bundlers that the package.json scripts run by `line` call. */
export function producedDirectories(line: string | null | undefined, files: PlatformFiles): string[] {
  const scripts = scriptsOf(files) ?? {};
  const directories: string[] = [];
  for (const segment of segmentsOf(line ?? '')) {
    const script = scriptRun(segment.split(/\s+/));
    const body = script === null ? segment : (scripts[script] ?? '');
    if (/\bvite(?:\s+build|\s*$|\s+--)/.test(body) && /\bbuild\b/.test(body)) {
      const config = ['vite.config.ts', 'vite.config.js', 'vite.config.mts', 'vite.config.mjs'].map((path) => files.get(path)).find((text) => text !== undefined) ?? '';
      directories.push(/outDir:\s*['"](?:\.\/)?([\w./-]+?)\/?['"]/.exec(config)?.[1] ?? 'dist');
    }
    if (/\breact-scripts\s+build\b/.test(body)) directories.push('build');
    if (/\b(?:parcel|astro|webpack)\b[^&;]*\bbuild\b|\bwebpack\b/.test(body)) directories.push('dist');
  }
  return directories;
}

const normalizeDirectory = (directory: string) => directory.replace(/^\.\/?/, '').replace(/\/+$/, '');

/** Whether `directory` exists among the files or is made by the build command line. */
export function directoryAvailable(directory: string, files: PlatformFiles, buildLine: string | null | undefined): boolean {
  const wanted = normalizeDirectory(directory);
  if (wanted === '') return files.size > 0;
  if ([...files.keys()].some((path) => path.startsWith(`${wanted}/`))) return true;
  return producedDirectories(buildLine, files).map(normalizeDirectory).includes(wanted);
}

/** The directory a `serve` command (`npx --yes serve@14 -s dist -l $PORT`) serves, if it runs serve. */
export function serveDirectory(command: string | null | undefined): string | null {
  const words = (command ?? '').split(/\s+/).filter((word) => word !== '');
  const at = words.findIndex((word) => word === 'serve' || word.startsWith('serve@'));
  if (at === -1) return null;
  for (let index = at + 1; index < words.length; index += 1) {
    const word = words[index] as string;
    if (word === '-l' || word === '--listen' || word === '-p' || word === '--config' || word === '-c') index += 1;
    else if (!word.startsWith('-')) return word;
  }
  return '.';
}
