import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, readdir, rename, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import type { BuildPlan, SourceFile } from '@vector/core';

/**
 * Built output of single-page apps and static sites, keyed by the plan and every file's
 * content: building the same files again (a rollback, publishing a preview's version, a
 * second preview of one version) copies the output instead of installing and building.
 * Server apps are not cached (they need their node_modules at run time). At most
 * `maxEntries` outputs are kept; the least recently used go first.
 */
export function createOutputCache(input: { directory: string; maxEntries: number }) {
  const { directory, maxEntries } = input;
  return {
    /** The cache key of a build, or null when its kind is not cached. */
    keyOf(plan: BuildPlan, files: ReadonlyArray<SourceFile>, env: Readonly<Record<string, string>> = {}): string | null {
      if (plan.kind === 'server' || plan.outputDirectory === null || plan.buildCommand === null) return null;
      // The build's variables are part of its output (a bundler bakes VITE_… values in): a build
      // with other values is another build.
      const variables = Object.entries(env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      const hash = createHash('sha256').update(JSON.stringify({ ...plan, reasons: [] })).update(JSON.stringify(variables));
      for (const file of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
        hash.update(`\0${file.path}\0${file.content.byteLength}\0`).update(file.content);
      }
      return hash.digest('hex');
    },

    /** Copies a cached output to `target`; false when there is none. */
    async restore(key: string, target: string): Promise<boolean> {
      const entry = join(directory, key);
      if (!existsSync(entry)) return false;
      await rm(target, { recursive: true, force: true });
      await cp(entry, target, { recursive: true });
      const now = new Date();
      await utimes(entry, now, now).catch(() => undefined);
      return true;
    },

    /** Keeps a copy of `source` under `key` (written aside, then renamed into place). */
    async store(key: string, source: string): Promise<void> {
      await mkdir(directory, { recursive: true });
      const entry = join(directory, key);
      if (existsSync(entry)) return;
      const temporary = join(directory, `.${key}.${process.pid}.${Date.now()}`);
      await cp(source, temporary, { recursive: true });
      await rename(temporary, entry).catch(() => rm(temporary, { recursive: true, force: true }));
      await prune();
    },
  };

  async function prune(): Promise<void> {
    const names = (await readdir(directory)).filter((name) => !name.startsWith('.'));
    if (names.length <= maxEntries) return;
    const dated = await Promise.all(names.map(async (name) => ({ name, used: (await stat(join(directory, name))).mtimeMs })));
    dated.sort((a, b) => a.used - b.used);
    for (const { name } of dated.slice(0, dated.length - maxEntries)) await rm(join(directory, name), { recursive: true, force: true });
  }
}

/** The build output cache. */
export type OutputCache = ReturnType<typeof createOutputCache>;
