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
      errors.push(`package.json: invalid JSON (${error instanceof Error ? error.message : String(error)})`);
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

function projectPlugin(options: { copy: WorkingCopy; paths: ReadonlySet<string>; dependencies: ReadonlySet<string>; aliases: Array<[string, string]>; platform: 'browser' | 'node' }): Plugin {
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
        let target: string | null = null;
        if (specifier.startsWith('.') || specifier.startsWith('/')) {
          const joined = specifier.startsWith('/') ? posix.normalize(specifier.slice(1)) : posix.join(posix.dirname(args.importer), specifier);
          if (joined.startsWith('..')) return { errors: [{ text: `Import "${specifier}" points outside the project` }] };
          target = joined.split(/[?#]/)[0] ?? joined;
        } else {
          const alias = aliases.find(([prefix]) => specifier.startsWith(prefix));
          if (alias) target = posix.normalize(alias[1] + specifier.slice(alias[0].length));
        }
        if (target !== null) {
          const found = find(target);
          return found ? { path: found, namespace } : { errors: [{ text: `Cannot resolve "${specifier}": no file ${target} (tried the usual extensions and index files)` }] };
        }
        const bare = specifier.replace(/^node:/, '');
        if (specifier.startsWith('node:') || builtins.has(bare.split('/')[0] ?? bare)) {
          return platform === 'node' ? { path: specifier, external: true } : { errors: [{ text: `"${specifier}" is a Node.js built-in; it is not available in the browser` }] };
        }
        const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : (specifier.split('/')[0] ?? specifier);
        if (dependencies.has(name)) return { path: specifier, external: true };
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

// `@/` is the de-facto alias for `src/` in Vite templates; it can never be an npm package.
function readAliases(compilerOptions: Record<string, unknown> | undefined): Array<[string, string]> {
  const aliases: Array<[string, string]> = [];
  const paths = compilerOptions?.paths;
  const baseUrl = typeof compilerOptions?.baseUrl === 'string' ? compilerOptions.baseUrl : '.';
  if (paths && typeof paths === 'object') {
    for (const [pattern, targets] of Object.entries(paths)) {
      const target = Array.isArray(targets) ? targets[0] : undefined;
      if (typeof target !== 'string' || !pattern.endsWith('*') || !target.endsWith('*')) continue;
      aliases.push([pattern.slice(0, -1), posix.normalize(posix.join(baseUrl, target.slice(0, -1))).replace(/^\.\//, '')]);
    }
  }
  if (!aliases.some(([prefix]) => prefix === '@/')) aliases.push(['@/', 'src/']);
  return aliases;
}

function pickCompilerOptions(options: Record<string, unknown>): Record<string, string | boolean> {
  const picked: Record<string, string | boolean> = {};
  for (const key of ['jsx', 'jsxFactory', 'jsxFragmentFactory', 'jsxImportSource', 'experimentalDecorators', 'useDefineForClassFields']) {
    const value = options[key];
    if (typeof value === 'string' || typeof value === 'boolean') picked[key] = key === 'jsx' && typeof value === 'string' ? value.toLowerCase() : value;
  }
  return picked;
}
