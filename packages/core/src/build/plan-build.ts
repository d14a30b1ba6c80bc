import { ValidationError } from '../errors/validation-error.js';
import { BUILD_CONFIG_FILE, buildConfigSchema, type BuildConfig, type BuildKind, type BuildPlan, type PackageManager } from './build-plan.js';
import { readOutputDirectory } from './read-output-directory.js';
import { errorMessage } from '../helpers/error-message.js';

/** A file as `planBuild` reads it: bytes (UTF-8 for text) or a string. */
export interface PlanInputFile {
  path: string;
  content: Uint8Array | string;
}

interface PackageManifest {
  scripts: Record<string, string>;
  dependencies: Set<string>;
  main: string | null;
  packageManager: string | null;
}

const lockfiles: ReadonlyArray<readonly [string, PackageManager]> = [
  ['pnpm-lock.yaml', 'pnpm'],
  ['package-lock.json', 'npm'],
  ['npm-shrinkwrap.json', 'npm'],
  ['yarn.lock', 'yarn'],
  ['bun.lock', 'bun'],
  ['bun.lockb', 'bun'],
];

/** Bundlers whose `build` writes a static site, and where by default. */
const bundlerOutputs: ReadonlyArray<readonly [string, string]> = [
  ['vite', 'dist'],
  ['react-scripts', 'build'],
  ['parcel', 'dist'],
  ['astro', 'dist'],
  ['webpack-cli', 'dist'],
  ['@rsbuild/core', 'dist'],
];

/**
 * `start` scripts that run a bundler's dev or preview server, not a production server. The
 * command must end the word (`vite --port 3000` is Vite, `vite-node server.ts` is not).
 */
const devServerScript = /^\s*(?:vite(?:\s+(?:preview|dev|serve))?|react-scripts\s+start|parcel(?:\s+serve)?|webpack\s+serve|webpack-dev-server|astro\s+(?:dev|preview)|rsbuild\s+(?:dev|preview))(?=\s|$)/;

/** A build script that type-checks already: runs `tsc` or `vue-tsc` as a command of its own. */
const typecheckingBuildScript = /(?:^|[\s;&|(])(?:tsc|vue-tsc)(?=$|[\s;&|)])/;

/** Static entry points, in the order they are served. */
const indexFiles = ['index.html', 'public/index.html'];

/** A `<script src>` that needs a build before a browser can run it. */
const compiledScript = /<script[^>]*\ssrc=["']([^"']+\.(?:tsx?|jsx))["']/i;

/**
 * Works out how to build and run a version from its files alone: pure, no I/O.
 *
 * - A committed `vector.json` (see {@link buildConfigSchema}) overrides any detected field.
 * - With a package.json: the package manager comes from the lockfile (else the
 *   `packageManager` field, else pnpm), and only its own lockfile freezes the install; a
 *   `start` script (other than a bundler's dev or preview server) or a `main` file makes a
 *   `server`; a `build` script makes an `spa` served from the bundler's output directory
 *   (read from the Vite config when it sets `build.outDir`); else an `index.html` or
 *   `public/index.html` makes a `static` site.
 * - Without one, an `index.html` (served from the root) or `public/index.html` (served from
 *   `public`) makes a `static` site, unless it loads TypeScript or JSX, which needs a build.
 *
 * @throws ValidationError when `vector.json` is invalid (the issue names the field) or when
 *   the files say nothing runnable; the message says why.
 */
export function planBuild(files: ReadonlyArray<PlanInputFile>): BuildPlan {
  const byPath = new Map(files.map((file) => [file.path, file.content]));
  const text = (path: string): string | null => {
    const content = byPath.get(path);
    if (content === undefined) return null;
    // TextDecoder drops a byte-order mark from bytes; drop it from strings the same way.
    return typeof content === 'string' ? content.replace(/^\uFEFF/, '') : new TextDecoder().decode(content);
  };
  const config = readConfig(text(BUILD_CONFIG_FILE));
  const reasons: string[] = [];
  const manifestText = text('package.json');
  const manifest = manifestText === null ? null : readManifest(manifestText);

  const foundLockfile = lockfiles.find(([path]) => byPath.has(path)) ?? null;
  let packageManager: PackageManager | null = null;
  if (config.packageManager) {
    packageManager = config.packageManager;
    reasons.push(`package manager ${packageManager} from ${BUILD_CONFIG_FILE}`);
  } else if (manifest) {
    const declared = manifest.packageManager?.split('@')[0];
    if (foundLockfile) {
      packageManager = foundLockfile[1];
      reasons.push(`package manager ${packageManager} from ${foundLockfile[0]}`);
    } else if (declared === 'npm' || declared === 'pnpm' || declared === 'yarn' || declared === 'bun') {
      packageManager = declared;
      reasons.push(`package manager ${packageManager} from package.json's packageManager field`);
    } else {
      packageManager = 'pnpm';
      reasons.push('package manager pnpm: no lockfile and no packageManager field');
    }
  }

  // Only the chosen manager's own lockfile freezes the install (`npm ci` fails on a yarn.lock).
  const lockfile = packageManager ? (lockfiles.find(([path, manager]) => manager === packageManager && byPath.has(path)) ?? null) : null;
  if (packageManager && foundLockfile && !lockfile) reasons.push(`no ${packageManager} lockfile: ${foundLockfile[0]} belongs to ${foundLockfile[1]}`);

  const kind = config.kind ?? detectKind({ manifest, text, reasons });
  if (config.kind) reasons.push(`kind ${kind} from ${BUILD_CONFIG_FILE}`);
  if (kind !== 'static' && !manifest && !config.startCommand && !config.buildCommand) {
    throw new ValidationError({ message: `Cannot build this version: it is a ${kind} app by ${BUILD_CONFIG_FILE}, but there is no package.json to install and run it from` });
  }

  const commands = packageManager ? commandsFor(packageManager, lockfile !== null) : null;
  const scripts = manifest?.scripts ?? {};
  const hasDependencies = (manifest?.dependencies.size ?? 0) > 0;

  let buildCommand: string | null = null;
  if (kind !== 'static' && scripts.build && commands) buildCommand = commands.run('build');
  if (kind === 'spa' && !buildCommand && config.buildCommand === undefined) {
    throw new ValidationError({ message: 'Cannot build this version: it is a single-page app but package.json has no "build" script' });
  }
  if (config.buildCommand !== undefined) buildCommand = config.buildCommand;

  let startCommand: string | null = null;
  if (kind === 'server') {
    if (scripts.start && commands) startCommand = commands.run('start');
    else if (manifest?.main) startCommand = `node ${quoteArgument(manifest.main)}`;
    if (config.startCommand !== undefined) startCommand = config.startCommand;
    if (!startCommand) throw new ValidationError({ message: 'Cannot run this version: it is a server app but package.json has neither a "start" script nor a "main" file' });
  } else if (config.startCommand) {
    throw new ValidationError({ message: `Invalid ${BUILD_CONFIG_FILE} at startCommand: only a server app has a start command (kind is ${kind})`, issues: [{ path: [BUILD_CONFIG_FILE, 'startCommand'], message: `only a server app has a start command (kind is ${kind})` }] });
  }

  let installCommand = manifest && commands && (hasDependencies || lockfile) ? commands.install : null;
  if (config.installCommand !== undefined) installCommand = config.installCommand;

  let typecheckCommand: string | null = null;
  if (manifest && commands && byPath.has('tsconfig.json') && manifest.dependencies.has('typescript')) {
    const buildScript = scripts.build ?? '';
    if (typecheckingBuildScript.test(buildScript)) reasons.push('no separate type check: the build script runs tsc');
    else {
      typecheckCommand = commands.exec('tsc --noEmit');
      reasons.push('type check with tsc --noEmit: tsconfig.json and typescript are present');
    }
  }
  if (config.typecheckCommand !== undefined) typecheckCommand = config.typecheckCommand;

  let outputDirectory: string | null = null;
  if (kind === 'spa') {
    outputDirectory = config.outputDirectory ?? spaOutputDirectory({ manifest, text, reasons });
  } else if (kind === 'static') {
    outputDirectory = config.outputDirectory ?? (byPath.has('index.html') || !byPath.has('public/index.html') ? '.' : 'public');
    if (!config.outputDirectory) reasons.push(`serve ${outputDirectory === '.' ? 'the project root' : outputDirectory} as it is`);
  } else if (config.outputDirectory) {
    throw new ValidationError({ message: `Invalid ${BUILD_CONFIG_FILE} at outputDirectory: a server app serves itself`, issues: [{ path: [BUILD_CONFIG_FILE, 'outputDirectory'], message: 'a server app serves itself' }] });
  }

  return {
    kind,
    packageManager,
    lockfile: lockfile?.[0] ?? null,
    installCommand,
    typecheckCommand,
    buildCommand,
    startCommand,
    outputDirectory,
    portVariable: config.portVariable ?? 'PORT',
    spaFallback: config.spaFallback ?? kind === 'spa',
    installScripts: config.installScripts ?? false,
    source: Object.keys(config).some((key) => key !== '$schema') ? 'config' : 'detected',
    reasons,
  };
}

function readConfig(content: string | null): BuildConfig {
  if (content === null) return {};
  let json: unknown;
  try {
    json = JSON.parse(content);
  } catch (error) {
    const message = `not valid JSON (${errorMessage(error)})`;
    throw new ValidationError({ message: `Invalid ${BUILD_CONFIG_FILE}: ${message}`, issues: [{ path: [BUILD_CONFIG_FILE], message }] });
  }
  const result = buildConfigSchema.safeParse(json);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => {
    // An unknown key is reported on the object; name the key itself.
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
    return { path: [BUILD_CONFIG_FILE, ...issue.path.map(String), ...keys.slice(0, 1)], message: issue.message };
  });
  const first = issues[0];
  const field = first ? first.path.slice(1).join('.') : '';
  throw new ValidationError({ message: `Invalid ${BUILD_CONFIG_FILE}${field ? ` at ${field}` : ''}: ${first?.message ?? 'invalid'}`, issues, cause: result.error });
}

function readManifest(content: string): PackageManifest {
  let json: unknown;
  try {
    json = JSON.parse(content);
  } catch (error) {
    const message = `not valid JSON (${errorMessage(error)})`;
    throw new ValidationError({ message: `Cannot build this version: package.json is ${message}`, issues: [{ path: ['package.json'], message }] });
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) {
    throw new ValidationError({ message: 'Cannot build this version: package.json is not a JSON object', issues: [{ path: ['package.json'], message: 'not an object' }] });
  }
  const record = json as Record<string, unknown>;
  const scripts: Record<string, string> = {};
  if (record.scripts && typeof record.scripts === 'object') {
    for (const [name, value] of Object.entries(record.scripts)) if (typeof value === 'string' && value.trim() !== '') scripts[name] = value;
  }
  const dependencies = new Set<string>();
  for (const field of ['dependencies', 'devDependencies', 'optionalDependencies']) {
    const value = record[field];
    if (value && typeof value === 'object') for (const name of Object.keys(value)) dependencies.add(name);
  }
  return {
    scripts,
    dependencies,
    main: typeof record.main === 'string' && record.main.trim() !== '' ? record.main : null,
    packageManager: typeof record.packageManager === 'string' ? record.packageManager : null,
  };
}

function detectKind(input: { manifest: PackageManifest | null; text: (path: string) => string | null; reasons: string[] }): BuildKind {
  const { manifest, text, reasons } = input;
  if (!manifest) {
    const index = indexFiles.find((path) => text(path) !== null);
    if (index) {
      const compiled = compiledScript.exec(text(index) ?? '');
      if (compiled) throw new ValidationError({ message: `Cannot build this version: ${index} loads ${compiled[1]}, which needs a build, but there is no package.json with a "build" script` });
      reasons.push(`static site: ${index} and no package.json`);
      return 'static';
    }
    throw new ValidationError({ message: 'Cannot build this version: it has no package.json and no index.html, so there is nothing to build or serve' });
  }
  const { scripts } = manifest;
  if (scripts.start && !devServerScript.test(scripts.start)) {
    reasons.push(`server: package.json has a start script (${truncate(scripts.start)})`);
    return 'server';
  }
  if (scripts.build) {
    reasons.push(`single-page app: package.json has a build script (${truncate(scripts.build)})`);
    return 'spa';
  }
  if (manifest.main && !bundlerOutputs.some(([name]) => manifest.dependencies.has(name))) {
    reasons.push(`server: package.json names main ${manifest.main} and no start script`);
    return 'server';
  }
  const index = indexFiles.find((path) => text(path) !== null);
  if (index) {
    const compiled = compiledScript.exec(text(index) ?? '');
    if (compiled) {
      throw new ValidationError({ message: `Cannot build this version: ${index} loads TypeScript/JSX (${compiled[1]}), but package.json has no "build" script (add "build": "vite build")` });
    }
    reasons.push(`static site: ${index}, and package.json has no build or start script`);
    return 'static';
  }
  throw new ValidationError({ message: 'Cannot build this version: package.json has no "build" or "start" script and no "main", and there is no index.html' });
}

function spaOutputDirectory(input: { manifest: PackageManifest | null; text: (path: string) => string | null; reasons: string[] }): string {
  const { manifest, text, reasons } = input;
  const bundler = bundlerOutputs.find(([name]) => manifest?.dependencies.has(name));
  if (bundler?.[0] === 'vite') {
    const fromConfig = readOutputDirectory(text);
    if (fromConfig) {
      reasons.push(`output directory ${fromConfig.directory} from ${fromConfig.file}`);
      return fromConfig.directory;
    }
  }
  const directory = bundler?.[1] ?? 'dist';
  reasons.push(bundler ? `output directory ${directory}: ${bundler[0]}'s default` : 'output directory dist: no known bundler, assuming the common default');
  return directory;
}

function commandsFor(manager: PackageManager, locked: boolean) {
  switch (manager) {
    case 'pnpm':
      return { install: locked ? 'pnpm install --frozen-lockfile' : 'pnpm install', run: (script: string) => `pnpm run ${script}`, exec: (line: string) => `pnpm exec ${line}` };
    case 'npm':
      return { install: locked ? 'npm ci' : 'npm install', run: (script: string) => `npm run ${script}`, exec: (line: string) => `npm exec -- ${line}` };
    case 'yarn':
      return { install: locked ? 'yarn install --frozen-lockfile' : 'yarn install', run: (script: string) => `yarn run ${script}`, exec: (line: string) => `yarn exec ${line}` };
    case 'bun':
      return { install: locked ? 'bun install --frozen-lockfile' : 'bun install', run: (script: string) => `bun run ${script}`, exec: (line: string) => `bun x ${line}` };
  }
}

function quoteArgument(value: string): string {
  return /^[\w./@-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

function truncate(value: string): string {
  return value.length > 80 ? `${value.slice(0, 77)}...` : value;
}
