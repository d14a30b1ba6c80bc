import { expect, it } from 'vitest';
import { ConflictError } from '../../errors/conflict-error.js';
import { defineStorageBackend } from '../../plugins/define-plugins.js';
import { createMemoryStorage } from '../../reference/index.js';
import { sampleFiles, useEngine } from '../../testing/engine-fixture.js';
import { describeEachDatabase } from '../../testing/test-databases.js';
import type { CodeVersion } from '../../schemas/code-version.js';

/**
 * Memory storage whose `saveVersion` holds its callers, once armed, until `parties` of them are
 * waiting, then lets them all go. A writer only reaches `saveVersion` after `writeVersion`'s
 * early check of the project's head, so every held writer has passed that check: released
 * together, they can only be told apart by the conditional UPDATE of the head.
 */
function createRacingStorage() {
  const inner = createMemoryStorage();
  let barrier: { parties: number; arrived: number; open: () => void; opened: Promise<void> } | null = null;
  const backend = defineStorageBackend({
    ...inner,
    name: 'racing',
    async saveVersion(input) {
      if (barrier && barrier.arrived < barrier.parties) {
        barrier.arrived += 1;
        if (barrier.arrived === barrier.parties) barrier.open();
        await barrier.opened;
      }
      return inner.saveVersion(input);
    },
  });
  return {
    backend,
    /** Holds the next `parties` saves until all of them have arrived. */
    arm(parties: number) {
      let open = () => undefined as void;
      const opened = new Promise<void>((resolve) => {
        open = resolve;
      });
      const armed = { parties, arrived: 0, open, opened };
      barrier = armed;
      return {
        arrived: () => armed.arrived,
        // A writer that fails before reaching storage must not leave the others waiting forever.
        releaseWhenAnySettles: (writes: Array<Promise<unknown>>) => {
          for (const write of writes) write.then(open, open);
        },
      };
    },
  };
}

describeEachDatabase('writers that all passed the parent check', (database) => {
  let racing: ReturnType<typeof createRacingStorage>;
  const engine = useEngine(database, {
    storage: () => {
      racing = createRacingStorage();
      return [racing.backend];
    },
  });

  async function projectWithVersion1() {
    const { scope } = engine();
    const project = await scope.projects.create({ name: 'Race' });
    const v1 = await scope.versions.create({ projectId: project.id, parentVersionId: null, files: sampleFiles(), message: 'first' });
    return { project, v1 };
  }

  it('lets exactly one of them win at the conditional head update; the others get CONFLICT and leave no version', async () => {
    const { scope } = engine();
    const { project, v1 } = await projectWithVersion1();
    const writers = 6;
    const gate = racing.arm(writers);
    const writes = Array.from({ length: writers }, (_, index) =>
      scope.versions.create({ projectId: project.id, parentVersionId: v1.id, changes: [{ type: 'write', path: `writer-${index}.txt`, content: String(index) }], message: `writer ${index}` }),
    );
    gate.releaseWhenAnySettles(writes);
    const results = await Promise.allSettled(writes);

    // Every writer got past writeVersion's early check and into storage before any of them recorded a version.
    expect(gate.arrived()).toBe(writers);
    const winners = results.filter((result): result is PromiseFulfilledResult<CodeVersion> => result.status === 'fulfilled').map((result) => result.value);
    expect(winners).toHaveLength(1);
    for (const result of results) {
      if (result.status === 'rejected') {
        expect(result.reason).toBeInstanceOf(ConflictError);
        expect(result.reason).toMatchObject({ code: 'CONFLICT' });
      }
    }
    const winner = winners[0] as CodeVersion;
    const winnerIndex = results.findIndex((result) => result.status === 'fulfilled');
    expect(winner).toMatchObject({ number: 2, parentId: v1.id });
    expect((await scope.versions.list(project.id)).items.map((version) => version.id)).toEqual([winner.id, v1.id]);
    expect((await scope.projects.get(project.id)).currentVersionId).toBe(winner.id);
    // Only the winner's file is in the head: no loser's change slipped in.
    const added = (await scope.versions.listFiles(winner.id)).map((entry) => entry.path).filter((path) => path.startsWith('writer-'));
    expect(added).toEqual([`writer-${winnerIndex}.txt`]);
  });

  it('numbers writers that retry after losing such a race 1..N, each the parent of the next', async () => {
    const { scope } = engine();
    const { project, v1 } = await projectWithVersion1();
    const writers = 5;
    const gate = racing.arm(writers);
    let conflicts = 0;
    // Each writer starts from v1 (so all race), and after a CONFLICT retries from the head it reads.
    const write = async (index: number): Promise<CodeVersion> => {
      let parentVersionId: string | null = v1.id;
      for (;;) {
        try {
          return await scope.versions.create({ projectId: project.id, parentVersionId, changes: [{ type: 'write', path: `writer-${index}.txt`, content: String(index) }], message: `writer ${index}` });
        } catch (error) {
          if (!ConflictError.isInstance(error)) throw error;
          conflicts += 1;
          parentVersionId = (await scope.projects.get(project.id)).currentVersionId;
        }
      }
    };
    const writes = Array.from({ length: writers }, (_, index) => write(index));
    gate.releaseWhenAnySettles(writes);
    await Promise.all(writes);

    expect(gate.arrived()).toBe(writers);
    // The first round had one winner; every other writer lost at least once.
    expect(conflicts).toBeGreaterThanOrEqual(writers - 1);
    const versions = (await scope.versions.list(project.id, { limit: 100 })).items;
    expect(versions.map((version) => version.number).sort((a, b) => a - b)).toEqual(Array.from({ length: writers + 1 }, (_, index) => index + 1));
    const byNumber = new Map(versions.map((version) => [version.number, version]));
    for (let number = 2; number <= writers + 1; number += 1) expect(byNumber.get(number)?.parentId, `parent of version ${number}`).toBe(byNumber.get(number - 1)?.id);
    const head = byNumber.get(writers + 1) as CodeVersion;
    expect((await scope.projects.get(project.id)).currentVersionId).toBe(head.id);
    expect((await scope.versions.listFiles(head.id)).filter((entry) => entry.path.startsWith('writer-'))).toHaveLength(writers);
  });
});
