import { expect, it } from 'vitest';
import { describeEachDatabase } from '../../testing/test-databases.js';
import { useEngine } from '../../testing/engine-fixture.js';

describeEachDatabase('runtime data tables', (database) => {
  const engine = useEngine(database);

  it('creates tables, validates rows, filters, orders and pages', async () => {
    const { scope } = engine();
    const project = await scope.projects.create({ name: 'Todo app' });
    const table = await scope.data.createTable({
      projectId: project.id,
      name: 'todos',
      columns: [
        { name: 'title', type: 'string', required: true },
        { name: 'done', type: 'boolean', required: false },
        { name: 'priority', type: 'integer', required: false },
        { name: 'meta', type: 'json', required: false },
      ],
    });
    await expect(scope.data.createTable({ projectId: project.id, name: 'todos', columns: [{ name: 'x', type: 'string', required: false }] })).rejects.toMatchObject({ code: 'CONFLICT' });
    for (let index = 0; index < 7; index += 1) {
      await scope.data.insertRow(table.id, { title: `task ${index}`, done: index % 2 === 0, priority: 10 - index, meta: { tags: [index] } });
    }
    const done = await scope.data.listRows(table.id, { where: { done: true } });
    expect(done.items.map((row) => row.data.title)).toEqual(['task 0', 'task 2', 'task 4', 'task 6']);
    const byTitle = await scope.data.listRows(table.id, { where: { title: 'task 3' } });
    expect(byTitle.items).toHaveLength(1);
    const ordered = await scope.data.listRows(table.id, { orderBy: { column: 'priority', direction: 'asc' } }, { limit: 3 });
    expect(ordered.items.map((row) => row.data.priority)).toEqual([4, 5, 6]);
    const next = await scope.data.listRows(table.id, { orderBy: { column: 'priority', direction: 'asc' } }, { limit: 3, cursor: ordered.nextCursor });
    expect(next.items.map((row) => row.data.priority)).toEqual([7, 8, 9]);
    const pageOne = await scope.data.listRows(table.id, {}, { limit: 4 });
    const pageTwo = await scope.data.listRows(table.id, {}, { limit: 4, cursor: pageOne.nextCursor });
    expect(pageOne.items.length + pageTwo.items.length).toBe(7);
    expect(pageTwo.nextCursor).toBeNull();
    const target = byTitle.items[0];
    const updated = await scope.data.updateRow(target?.id as string, { done: true });
    expect(updated.data).toMatchObject({ title: 'task 3', done: true });
    await expect(scope.data.updateRow(target?.id as string, { title: null })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await scope.data.deleteRow(target?.id as string);
    await expect(scope.data.getRow(target?.id as string)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await scope.data.listTables(project.id)).map((entry) => entry.name)).toEqual(['todos']);
    await scope.data.dropTable(table.id);
    expect(await scope.data.listTables(project.id)).toEqual([]);
  });

  it('applies concurrent patches to one row without losing either', async () => {
    const { scope } = engine();
    const project = await scope.projects.create({ name: 'Race' });
    const table = await scope.data.createTable({ projectId: project.id, name: 'kv', columns: [{ name: 'a', type: 'string', required: false }, { name: 'b', type: 'string', required: false }] });
    const row = await scope.data.insertRow(table.id, { a: 'a0', b: 'b0' });
    await Promise.all([scope.data.updateRow(row.id, { a: 'a1' }), scope.data.updateRow(row.id, { b: 'b1' })]);
    expect((await scope.data.getRow(row.id)).data).toEqual({ a: 'a1', b: 'b1' });
  });
});

describeEachDatabase('runtime data rows made in one millisecond', (database) => {
  // A frozen clock: every row gets the same `created_at`, so only the id can order them.
  const engine = useEngine(database, { overrides: { now: () => new Date('2026-12-01T00:00:00.000Z') } });

  it('lists rows in the order they were inserted', async () => {
    const { scope } = engine();
    const project = await scope.projects.create({ name: 'Same millisecond' });
    const table = await scope.data.createTable({ projectId: project.id, name: 'items', columns: [{ name: 'n', type: 'integer', required: true }] });
    for (let n = 0; n < 40; n += 1) await scope.data.insertRow(table.id, { n });
    const listed = await scope.data.listRows(table.id, {}, { limit: 100 });
    expect(listed.items.map((row) => row.data.n)).toEqual(Array.from({ length: 40 }, (_, n) => n));
  });
});
