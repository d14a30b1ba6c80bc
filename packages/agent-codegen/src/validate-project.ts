import { errorMessage } from '@vector/core';
import { builtinModules } from 'node:module';
import { posix } from 'node:path';
import type { ValidationStatus } from '@vector/core';
import type { Loader, Message, Plugin, PluginBuild } from 'esbuild';
import { codeExtensions, detectEntryPoints } from './detect-entry-points.js';
import type { WorkingCopy } from './working-copy.js';

/** What validating a working copy found. */
export interface ProjectValidation {
  status: ValidationStatus;
  /** `file:line:column: message`, at most {@link maxReportedErrors}. */
  errors: string[];
  entries: string[];
}

const maxReportedErrors = 20;
const namespace = 'vector-project';
const resolvableExtensions = [...codeExtensions, '.json', '.css'];
const loaders: Record<string, Loader> = {
  '.ts': 'ts', '.mts': 'ts', '.cts': 'ts', '.tsx': 'tsx', '.js': 'js', '.mjs': 'js', '.cjs': 'js', '.jsx': 'jsx', '.json': 'json', '.css': 'css', '.txt': 'text', '.md': 'text',
};

/**
 * Parses and bundles the working copy in memory with esbuild, from the entry points
 * {@link detectEntryPoints} finds. Relative and root-relative imports resolve against the
 * working copy (with the usual extension and `index.*` lookup, and `@/` or tsconfig
 * `paths` aliases); bare imports of packages listed in package.json (any dependency
 * field) and, for node projects, Node built-ins are external; any other bare import is an
 * error the model must fix. A project without JavaScript/TypeScript is `not_run`.
 */
export async function validateProject(copy: WorkingCopy): Promise<ProjectValidation> {
  const paths = new Set((await copy.list()).map((entry) => entry.path));
  const text = async (path: string) => {
    const content = paths.has(path) ? await copy.read(path) : null;
    return typeof content === 'string' ? content : null;
  };
  const [indexHtml, packageJson, tsconfig] = await Promise.all([text('index.html'), text('package.json'), text('tsconfig.json')]);
  const errors: string[] = [];
  let dependencies = new Set<string>();
  if (packageJson !== null) {
    try {
      const manifest = JSON.parse(packageJson) as Record<string, unknown>;
      for (const field of ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies']) {
        const value = manifest[field];
        if (value && typeof value === 'object') for (const name of Object.keys(value)) dependencies.add(name);
      }
    } catch (error) {
      errors.push(`package.json: invalid JSON (${errorMessage(error)})`);
      dependencies = new Set();
    }
  }
  const detected = detectEntryPoints({ paths, indexHtml, packageJson });
  errors.push(...detected.errors);
  if (detected.entries.length === 0) {
    return { status: errors.length > 0 ? 'failed' : 'not_run', errors, entries: [] };
  }
  const compilerOptions = parseLooseJson(tsconfig)?.compilerOptions as Record<string, unknown> | undefined;
  const aliases = readAliases(compilerOptions);
  const esbuild = await import('esbuild');
  try {
    await esbuild.build({
      entryPoints: detected.entries,
      bundle: true,
      write: false,
      outdir: 'out',
      platform: detected.platform,
      format: 'esm',
      logLevel: 'silent',
      jsx: 'automatic',
      tsconfigRaw: compilerOptions ? { compilerOptions: pickCompilerOptions(compilerOptions) } : {},
      plugins: [projectPlugin({ copy, paths, dependencies, aliases, platform: detected.platform })],
    });
  } catch (error) {
    const messages = (error as { errors?: Message[] }).errors;
    if (!Array.isArray(messages)) throw error;
    errors.push(...messages.map(formatMessage));
  }
  return { status: errors.length > 0 ? 'failed' : 'passed', errors: errors.slice(0, maxReportedErrors), entries: detected.entries };
}

function projectPlugin(options: { copy: WorkingCopy; paths: ReadonlySet<string>; dependencies: ReadonlySet<string>; aliases: PathAlias[]; platform: 'browser' | 'node' }): Plugin {
  const { copy, paths, dependencies, aliases, platform } = options;
  const builtins = new Set(builtinModules);
  const find = (base: string): string | null => {
    const candidates = [base, ...resolvableExtensions.map((extension) => base + extension), ...resolvableExtensions.map((extension) => `${base}/index${extension}`)];
    // TypeScript projects import `./x.js` meaning `./x.ts`.
    const stem = base.replace(/\.(m|c)?jsx?$/, '');
    if (stem !== base) candidates.push(...['.ts', '.tsx', '.mts', '.cts'].map((extension) => stem + extension));
    return candidates.find((candidate) => paths.has(candidate)) ?? null;
  };
  return {
    name: 'vector-project-files',
    setup(build: PluginBuild) {
      build.onResolve({ filter: /.*/ }, (args) => {
        if (args.kind === 'entry-point') return { path: args.path, namespace };
        const specifier = args.path;
        if (/^(?:https?:|data:)/.test(specifier)) return { path: specifier, external: true };
        if (specifier.startsWith('.') || specifier.startsWith('/')) {
          const joined = specifier.startsWith('/') ? posix.normalize(specifier.slice(1)) : posix.join(posix.dirname(args.importer), specifier);
          if (joined.startsWith('..')) return { errors: [{ text: `Import "${specifier}" points outside the project` }] };
          const target = joined.split(/[?#]/)[0] ?? joined;
          const found = find(target);
          return found ? { path: found, namespace } : { errors: [{ text: `Cannot resolve "${specifier}": no file ${target} (tried the usual extensions and index files)` }] };
        }
        // Like TypeScript: the best `paths` match first, then (when no alias target exists)
        // ordinary package resolution, so `"*": ["src/types/*"]` does not hide `react`.
        const alias = matchAlias(aliases, specifier);
        if (alias) {
          for (const target of alias.targets) {
            const found = find(target);
            if (found) return { path: found, namespace };
          }
        }
        const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : (specifier.split('/')[0] ?? specifier);
        // An npm package may share a built-in's name (`events`, `buffer`, `util`): a listed dependency wins.
        if (!specifier.startsWith('node:') && dependencies.has(name)) return { path: specifier, external: true };
        if (specifier.startsWith('node:') || builtins.has(name)) {
          return platform === 'node' ? { path: specifier, external: true } : { errors: [{ text: `"${specifier}" is a Node.js built-in; it is not available in the browser (add an npm package of that name to package.json dependencies if you meant one)` }] };
        }
        if (alias) return { errors: [{ text: `Cannot resolve "${specifier}": no file ${alias.targets.join(' or ')} for the tsconfig path alias "${alias.pattern}" (tried the usual extensions and index files), and no package "${name}" in package.json dependencies` }] };
        return { errors: [{ text: `Cannot resolve "${specifier}": the package "${name}" is not listed in package.json dependencies` }] };
      });
      build.onLoad({ filter: /.*/, namespace }, async (args) => {
        const content = await copy.read(args.path);
        if (content === null) return { errors: [{ text: `File ${args.path} does not exist` }] };
        const loader = loaders[posix.extname(args.path)] ?? 'empty';
        return { contents: content, loader };
      });
    },
  };
}

function formatMessage(message: Message): string {
  const location = message.location;
  const file = location?.file.startsWith(`${namespace}:`) ? location.file.slice(namespace.length + 1) : location?.file;
  const where = location ? `${file}:${location.line}:${location.column + 1}: ` : '';
  const line = location?.lineText ? `\n  ${location.lineText.trim().slice(0, 200)}` : '';
  return `${where}${message.text}${line}`.slice(0, 800);
}

function parseLooseJson(text: string | null): Record<string, unknown> | null {
  if (text === null) return null;
  for (const candidate of [text, text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '').replace(/,(\s*[}\]])/g, '$1')]) {
    try {
      const parsed: unknown = JSON.parse(candidate);
      if (parsed && typeof parsed === 'object') return parsed as Record<string, unknown>;
    } catch {
      // Try the next, more lenient reading.
    }
  }
  return null;
}

/** One tsconfig `paths` entry: `prefix*suffix` (or an exact name) mapped to folder-relative targets. */
interface PathAlias {
  pattern: string;
  prefix: string;
  /** Null for a pattern without `*`, which matches only itself. */
  suffix: string | null;
  targets: string[];
}

// `@/` is the de-facto alias for `src/` in Vite templates; it can never be an npm package.
function readAliases(compilerOptions: Record<string, unknown> | undefined): PathAlias[] {
  const aliases: PathAlias[] = [];
  const paths = compilerOptions?.paths;
  const baseUrl = typeof compilerOptions?.baseUrl === 'string' ? compilerOptions.baseUrl : '.';
  const resolve = (target: string) => posix.normalize(posix.join(baseUrl, target)).replace(/^\.\//, '');
  if (paths && typeof paths === 'object') {
    for (const [pattern, rawTargets] of Object.entries(paths)) {
      const star = pattern.indexOf('*');
      if (star !== pattern.lastIndexOf('*')) continue;
      const targets = (Array.isArray(rawTargets) ? rawTargets : []).filter((target): target is string => typeof target === 'string' && (star === -1 ? !target.includes('*') : target.split('*').length === 2));
      if (targets.length === 0) continue;
      aliases.push({ pattern, prefix: star === -1 ? pattern : pattern.slice(0, star), suffix: star === -1 ? null : pattern.slice(star + 1), targets: targets.map(resolve) });
    }
  }
  if (!aliases.some((alias) => alias.pattern === '@/*')) aliases.push({ pattern: '@/*', prefix: '@/', suffix: '', targets: ['src/*'] });
  return aliases;
}

/** The alias TypeScript would use: an exact pattern, else the wildcard with the longest prefix; targets with `*` filled in. */
function matchAlias(aliases: ReadonlyArray<PathAlias>, specifier: string): { pattern: string; targets: string[] } | null {
  const exact = aliases.find((alias) => alias.suffix === null && alias.prefix === specifier);
  if (exact) return { pattern: exact.pattern, targets: exact.targets };
  let best: PathAlias | null = null;
  for (const alias of aliases) {
    if (alias.suffix === null || specifier.length < alias.prefix.length + alias.suffix.length) continue;
    if (!specifier.startsWith(alias.prefix) || !specifier.endsWith(alias.suffix)) continue;
    if (!best || alias.prefix.length > best.prefix.length) best = alias;
  }
  if (!best) return null;
  const captured = specifier.slice(best.prefix.length, specifier.length - (best.suffix ?? '').length);
  return { pattern: best.pattern, targets: best.targets.map((target) => posix.normalize(target.replace('*', captured))) };
}

function pickCompilerOptions(options: Record<string, unknown>): Record<string, string | boolean> {
  const picked: Record<string, string | boolean> = {};
  for (const key of ['jsx', 'jsxFactory', 'jsxFragmentFactory', 'jsxImportSource', 'experimentalDecorators', 'useDefineForClassFields']) {
    const value = options[key];
    if (typeof value === 'string' || typeof value === 'boolean') picked[key] = key === 'jsx' && typeof value === 'string' ? value.toLowerCase() : value;
  }
  return picked;
}
