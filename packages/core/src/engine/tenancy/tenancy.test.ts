import { expect, it } from 'vitest';
import { describeEachDatabase } from '../../testing/test-databases.js';
import { sampleFiles, useEngine } from '../../testing/engine-fixture.js';

describeEachDatabase('tenancy', (database) => {
  const engine = useEngine(database);

  it("keeps every entity of organization A out of organization B's reach", async () => {
    const { scope: a, otherScope: b } = engine();
    const project = await a.projects.create({ name: 'Secret' });
    const v1 = await a.versions.create({ projectId: project.id, parentVersionId: null, files: sampleFiles(), message: 'first' });
    const v2 = await a.versions.create({ projectId: project.id, parentVersionId: v1.id, changes: [{ type: 'write', path: 'b.txt', content: 'b' }], message: 'second' });
    const session = await a.agent.createSession({ projectId: project.id });
    const { job } = await a.agent.postMessage({ sessionId: session.id, content: 'hi' });
    await a.agent.waitForJob(job.id, { timeoutMs: 20_000 });
    const deployment = await a.deployments.create({ projectId: project.id, environment: 'preview' });
    const table = await a.data.createTable({ projectId: project.id, name: 'todos', columns: [{ name: 'title', type: 'string', required: true }] });
    const row = await a.data.insertRow(table.id, { title: 'mine' });

    const attempts: Array<[string, () => Promise<unknown>]> = [
      ['projects.get', () => b.projects.get(project.id)],
      ['projects.update', () => b.projects.update(project.id, { name: 'stolen' })],
      ['projects.delete', () => b.projects.delete(project.id)],
      ['versions.create', () => b.versions.create({ projectId: project.id, parentVersionId: v2.id, files: sampleFiles(), message: 'x' })],
      ['versions.list', () => b.versions.list(project.id)],
      ['versions.get', () => b.versions.get(v1.id)],
      ['versions.listFiles', () => b.versions.listFiles(v1.id)],
      ['versions.getFiles', () => b.versions.getFiles(v1.id)],
      ['versions.getFile', () => b.versions.getFile(v1.id, 'index.html')],
      ['versions.diff', () => b.versions.diff({ fromVersionId: v1.id, toVersionId: v2.id })],
      ['versions.rollback', () => b.versions.rollback({ projectId: project.id, targetVersionId: v1.id })],
      ['versions.publish', () => b.versions.publish({ projectId: project.id, versionId: v1.id })],
      ['agent.createSession', () => b.agent.createSession({ projectId: project.id })],
      ['agent.listSessions', () => b.agent.listSessions(project.id)],
      ['agent.getSession', () => b.agent.getSession(session.id)],
      ['agent.postMessage', () => b.agent.postMessage({ sessionId: session.id, content: 'x' })],
      ['agent.listMessages', () => b.agent.listMessages(session.id)],
      ['agent.getJob', () => b.agent.getJob(job.id)],
      ['agent.listJobEvents', () => b.agent.listJobEvents(job.id)],
      ['agent.cancelJob', () => b.agent.cancelJob(job.id)],
      ['agent.waitForJob', () => b.agent.waitForJob(job.id)],
      ['deployments.create', () => b.deployments.create({ projectId: project.id, environment: 'preview' })],
      ['deployments.get', () => b.deployments.get(deployment.id)],
      ['deployments.refresh', () => b.deployments.refresh(deployment.id)],
      ['deployments.listLogs', () => b.deployments.listLogs(deployment.id)],
      ['deployments.destroy', () => b.deployments.destroy(deployment.id)],
      ['deployments.waitForDeployment', () => b.deployments.waitForDeployment(deployment.id)],
      ['data.createTable', () => b.data.createTable({ projectId: project.id, name: 'evil', columns: [{ name: 'x', type: 'string', required: false }] })],
      ['data.listTables', () => b.data.listTables(project.id)],
      ['data.getTable', () => b.data.getTable(table.id)],
      ['data.dropTable', () => b.data.dropTable(table.id)],
      ['data.insertRow', () => b.data.insertRow(table.id, { title: 'x' })],
      ['data.getRow', () => b.data.getRow(row.id)],
      ['data.listRows', () => b.data.listRows(table.id)],
      ['data.updateRow', () => b.data.updateRow(row.id, { title: 'x' })],
      ['data.deleteRow', () => b.data.deleteRow(row.id)],
    ];
    for (const [name, attempt] of attempts) {
      await expect(attempt(), name).rejects.toMatchObject({ code: 'NOT_FOUND' });
    }
    // Lists in B see nothing of A.
    expect((await b.projects.list()).items).toEqual([]);
    expect((await b.agent.listJobs({})).items).toEqual([]);
    expect((await b.deployments.list({})).items).toEqual([]);
    expect((await b.audit.list({ projectId: project.id })).items).toEqual([]);
    // And A is untouched.
    expect((await a.projects.get(project.id)).name).toBe('Secret');
    expect((await a.data.getRow(row.id)).data).toEqual({ title: 'mine' });
    expect((await a.deployments.get(deployment.id)).status).not.toBe('destroyed');
  });
});
