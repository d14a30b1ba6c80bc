/** Where bundling starts and for which platform. */
export interface EntryPoints {
  entries: string[];
  platform: 'browser' | 'node';
  /** Errors found while detecting (e.g. a script tag pointing at a missing file). */
  errors: string[];
}

/** Extensions the validator treats as JavaScript/TypeScript source. */
export const codeExtensions = ['.tsx', '.ts', '.jsx', '.js', '.mjs', '.cjs', '.mts', '.cts'];

const conventional = ['src/main', 'src/index', 'index'];

/**
 * Finds the entry points of a project, first rule that matches wins:
 * 1. `index.html`: every local `<script src>` (root-relative or relative) → browser.
 * 2. `src/main.*`, then `src/index.*`, then `index.*` with a code extension → browser when
 *    the project has an `index.html`, else node.
 * 3. `package.json` `main` (or `module`) naming an existing file → node.
 * 4. Otherwise every code file is its own entry, so each still has to parse and resolve.
 * No code files at all: no entries (validation is `not_run`).
 */
export function detectEntryPoints(project: { paths: ReadonlySet<string>; indexHtml: string | null; packageJson: string | null }): EntryPoints {
  const files = project.paths;
  const html = project.indexHtml;
  const errors: string[] = [];
  if (html !== null) {
    const scripts = [...html.matchAll(/<script\b[^>]*\bsrc\s*=\s*["']([^"']+)["'][^>]*>/gi)].map((match) => match[1] ?? '');
    const local = scripts.filter((src) => !/^(?:[a-z]+:)?\/\//i.test(src));
    const entries: string[] = [];
    for (const src of local) {
      const path = src.replace(/^\.?\//, '').split(/[?#]/)[0] ?? '';
      if (files.has(path)) entries.push(path);
      else errors.push(`index.html: <script src="${src}"> points to a file that does not exist (${path})`);
    }
    if (entries.length > 0 || errors.length > 0) return { entries, platform: 'browser', errors };
  }
  const platform = html === null ? 'node' : 'browser';
  for (const stem of conventional) {
    const match = codeExtensions.map((extension) => stem + extension).find((path) => files.has(path));
    if (match) return { entries: [match], platform, errors };
  }
  const manifest = project.packageJson;
  if (manifest !== null) {
    try {
      const parsed = JSON.parse(manifest) as { main?: unknown; module?: unknown };
      for (const field of [parsed.main, parsed.module]) {
        if (typeof field === 'string' && files.has(field.replace(/^\.\//, ''))) return { entries: [field.replace(/^\.\//, '')], platform: 'node', errors };
      }
    } catch {
      // An invalid package.json is reported by the validator itself.
    }
  }
  const codeFiles = [...files].filter((path) => isCodeFile(path) && !path.startsWith('node_modules/') && !/\.d\.[cm]?ts$/.test(path));
  return { entries: codeFiles.sort(), platform, errors };
}

/** True for a path with a JavaScript/TypeScript extension. */
export function isCodeFile(path: string): boolean {
  return codeExtensions.some((extension) => path.endsWith(extension));
}
