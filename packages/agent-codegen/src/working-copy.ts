import { type AgentFileChange, type AgentProjectFiles, decodeText, isBinaryContent, normalizeFilePath } from '@vector/core';

/** A file as the working copy knows it: text, or bytes for binary files. */
export type WorkingFileContent = string | Uint8Array<ArrayBuffer>;

/** How a write or delete changed the working copy, relative to the base version. */
export type WorkingChangeKind = 'created' | 'modified' | 'deleted';

/**
 * The job's editable copy of the project: the base version's files (read lazily, each at
 * most once) with the agent's writes and deletes on top. Nothing here reaches storage; the
 * finished copy becomes the `result` event's changes.
 */
export class WorkingCopy {
  readonly #base: AgentProjectFiles;
  readonly #baseCache = new Map<string, Promise<WorkingFileContent | null>>();
  readonly #overlay = new Map<string, WorkingFileContent | null>();
  #basePaths: Promise<Map<string, number>> | null = null;

  constructor(base: AgentProjectFiles) {
    this.#base = base;
  }

  /** Paths of the base version with their sizes. */
  #baseListing(): Promise<Map<string, number>> {
    this.#basePaths ??= this.#base.list().then((entries) => new Map(entries.map((entry) => [entry.path, entry.size])));
    return this.#basePaths;
  }

  /** Every current path with its size in bytes (text: UTF-8 length), sorted. */
  async list(): Promise<Array<{ path: string; size: number }>> {
    const sizes = new Map(await this.#baseListing());
    for (const [path, content] of this.#overlay) {
      if (content === null) sizes.delete(path);
      else sizes.set(path, typeof content === 'string' ? Buffer.byteLength(content) : content.byteLength);
    }
    return [...sizes].map(([path, size]) => ({ path, size })).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /** True when the path currently exists. */
  async has(path: string): Promise<boolean> {
    const normal = normalizeFilePath(path);
    if (this.#overlay.has(normal)) return this.#overlay.get(normal) !== null;
    return (await this.#baseListing()).has(normal);
  }

  async #readBase(path: string): Promise<WorkingFileContent | null> {
    let pending = this.#baseCache.get(path);
    if (!pending) {
      pending = this.#base.read(path).then((bytes) => (bytes === null ? null : isBinaryContent(bytes) ? new Uint8Array(bytes) : decodeText(bytes)));
      this.#baseCache.set(path, pending);
    }
    return pending;
  }

  /** Current content, or null when the file does not exist. */
  async read(path: string): Promise<WorkingFileContent | null> {
    const normal = normalizeFilePath(path);
    if (this.#overlay.has(normal)) return this.#overlay.get(normal) ?? null;
    if (!(await this.#baseListing()).has(normal)) return null;
    return this.#readBase(normal);
  }

  /** Writes a file and says whether it was created or modified. */
  async write(path: string, content: WorkingFileContent): Promise<{ path: string; change: WorkingChangeKind }> {
    const normal = normalizeFilePath(path);
    const existed = await this.has(normal);
    this.#overlay.set(normal, content);
    return { path: normal, change: existed ? 'modified' : 'created' };
  }

  /** Deletes a file; returns false when there was nothing to delete. */
  async delete(path: string): Promise<boolean> {
    const normal = normalizeFilePath(path);
    if (!(await this.has(normal))) return false;
    this.#overlay.set(normal, null);
    return true;
  }

  /** The net changes against the base version, sorted by path; unchanged rewrites are dropped. */
  async changes(): Promise<AgentFileChange[]> {
    const baseListing = await this.#baseListing();
    const changes: AgentFileChange[] = [];
    for (const path of [...this.#overlay.keys()].sort()) {
      const content = this.#overlay.get(path) ?? null;
      const inBase = baseListing.has(path);
      if (content === null) {
        if (inBase) changes.push({ type: 'delete', path });
        continue;
      }
      if (inBase && sameContent(await this.#readBase(path), content)) continue;
      changes.push({ type: 'write', path, content });
    }
    return changes;
  }
}

function sameContent(a: WorkingFileContent | null, b: WorkingFileContent): boolean {
  if (a === null) return false;
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  return Buffer.from(a).equals(Buffer.from(b));
}
