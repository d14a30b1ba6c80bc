import { expect, it } from 'vitest';
import type { StorageBackend } from '../../plugins/storage-backend.js';
import { createMemoryStorage } from '../../reference/index.js';
import { describeEachDatabase } from '../../testing/test-databases.js';
import { createVector } from '../create-vector.js';
import { sampleFiles } from '../../testing/engine-fixture.js';

describeEachDatabase('two-phase storage', (database) => {
  it('finalizes after recording, and publishes again on start what a crash left unpublished', async () => {
    const connection = await database.create();
    const published: string[] = [];
    let failNext = false;
    const memory = createMemoryStorage();
    // A backend with a public head, like a git branch: finalizeVersion moves it.
    const storage: StorageBackend = {
      ...memory,
      async finalizeVersion({ ref }) {
        if (failNext) {
          failNext = false;
          throw new Error('connection reset');
        }
        published.push(ref);
      },
    };
    const vector = createVector({ database: connection, storage: [storage], jobHeartbeatMs: 50 });
    try {
      await vector.start();
      const actor = { type: 'user' as const, id: 'u' };
      const organization = await vector.organizations.create({ name: 'Acme' }, actor);
      const scope = vector.scope({ organizationId: organization.id, actor });
      const project = await scope.projects.create({ name: 'App' });
      const warnings: string[] = [];
      vector.events.on('warning', (warning) => warnings.push(warning.code));
      const v1 = await scope.versions.create({ projectId: project.id, parentVersionId: null, files: sampleFiles(), message: 'v1' });
      expect(published).toEqual([v1.storageRef]);
      failNext = true;
      const v2 = await scope.versions.create({ projectId: project.id, parentVersionId: v1.id, changes: [{ type: 'write', path: 'b.txt', content: 'b' }], message: 'v2' });
      // The version is recorded even though publishing it failed.
      expect((await scope.projects.get(project.id)).currentVersionId).toBe(v2.id);
      expect(warnings).toEqual(['STORAGE_FINALIZE_FAILED']);
      expect(published).toEqual([v1.storageRef]);
      await vector.stop();
      await vector.start();
      expect(published).toEqual([v1.storageRef, v2.storageRef]);
    } finally {
      await vector.dispose();
      await connection.destroy();
    }
  });
});
