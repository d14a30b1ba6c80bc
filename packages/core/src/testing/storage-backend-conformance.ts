import { randomBytes } from 'node:crypto';
import type { StorageBackend, StorageProject } from '../plugins/storage-backend.js';
import { runConformanceSuite } from './conformance-suite.js';
import { storageConformanceCases, type StorageSubject } from './storage-conformance-cases.js';

/** Options of {@link storageBackendConformance}. */
export interface StorageBackendConformanceOptions {
  /** Shown in the `describe` title. */
  name: string;
  /**
   * A fresh backend for one test. `project` defaults to a new random project; the kit calls
   * `init()`, `createProject()`, then after the test `dispose()` and finally `cleanup()`.
   */
  create: () => Promise<{ backend: StorageBackend; project?: StorageProject; cleanup?: () => Promise<void> }>;
  /** Test names to skip (see {@link storageBackendConformanceTests}); unknown names throw. */
  skip?: ReadonlyArray<string>;
  /** Per-test timeout in milliseconds. Default: vitest's configured timeout. */
  timeoutMs?: number;
}

/** Names of the storage conformance tests, for `skip`. */
export const storageBackendConformanceTests: ReadonlyArray<string> = storageConformanceCases.map((entry) => entry.name);

/**
 * The storage contract's conformance suite: declares a vitest `describe` with one test per
 * guarantee of {@link StorageBackend}. Tests needing an undeclared capability (`binary`,
 * `garbageCollection`, a `maxFileBytes` small enough to test) are skipped.
 *
 * @example
 * ```ts
 * storageBackendConformance({
 *   name: 'my storage',
 *   create: async () => ({ backend: createMyStorage({ baseUrl: fake.url }) }),
 * });
 * ```
 */
export function storageBackendConformance(options: StorageBackendConformanceOptions): void {
  runConformanceSuite<StorageSubject>({
    title: `storage backend conformance: ${options.name}`,
    cases: storageConformanceCases,
    skip: options.skip,
    timeoutMs: options.timeoutMs,
    create: async () => {
      const created = await options.create();
      const { backend } = created;
      const project = created.project ?? {
        id: `conformance-${randomBytes(6).toString('hex')}`,
        organizationId: 'conformance-organization',
        name: 'Conformance',
        settings: {},
      };
      let initialized = false;
      const teardown = async () => {
        try {
          if (initialized) await backend.dispose?.();
        } finally {
          await created.cleanup?.();
        }
      };
      try {
        await backend.init?.();
        initialized = true;
        await backend.createProject?.({ project });
      } catch (error) {
        await teardown();
        throw error;
      }
      return { subject: { backend, project }, teardown };
    },
  });
}
