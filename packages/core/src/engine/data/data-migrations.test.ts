import { expect, it } from 'vitest';
import type { DataSchema } from '../../data/data-schema.js';
import { ValidationError } from '../../errors/validation-error.js';
import { describeEachDatabase } from '../../testing/test-databases.js';
import { sampleFiles, useEngine } from '../../testing/engine-fixture.js';

type Tables = Record<string, unknown>;
const schemaFile = (tables: Tables) => ({ path: 'vector.data.json', content: JSON.stringify({ tables }) });
const everything = { read: true, insert: true, update: true, delete: true };

describeEachDatabase('data schema as code', (database) => {
  const engine = useEngine(database);

  /** A project and a helper that saves its next version with the given data schema (or none) and publishes it. */
  async function project() {
    const { scope } = engine();
    const created = await scope.projects.create({ name: 'Todo app' });
    const save = async (tables: Tables | null) => {
      const parentVersionId = (await scope.projects.get(created.id)).currentVersionId;
      return scope.versions.create({ projectId: created.id, parentVersionId, files: [...sampleFiles('app'), ...(tables ? [schemaFile(tables)] : [])], message: 'next' });
    };
    const publish = async (tables: Tables | null, options: { allowDestructiveDataChanges?: boolean } = {}) => {
      const version = await save(tables);
      await scope.versions.publish({ projectId: created.id, versionId: version.id, ...options });
      return version;
    };
    const table = async (name: string) => {
      const found = (await scope.data.listTables(created.id)).find((item) => item.name === name);
      if (!found) throw new Error(`no table ${name}`);
      return found;
    };
    const rows = async (name: string) => (await scope.data.listRows((await table(name)).id)).items.map((row) => row.data);
    return { scope, vector: engine().vector, project: created, save, publish, table, rows };
  }

  const v1: Tables = { todos: { columns: { title: { type: 'string', required: true }, done: { type: 'boolean', default: false } }, access: everything } };

  it('creates tables on publish, then adds, renames and converts with the rows kept, recording each migration', async () => {
    const { scope, project: app, publish, table, rows } = await project();
    const first = await publish(v1);
    const todos = await table('todos');
    expect(todos).toMatchObject({ columns: [{ name: 'title', type: 'string', required: true }, { name: 'done', type: 'boolean', required: false, default: false }], access: everything, indexes: [] });
    await scope.data.insertRow(todos.id, { title: 'Buy milk' });
    await scope.data.insertRow(todos.id, { title: 'Call Bob', done: true });
    expect(await rows('todos')).toEqual([{ title: 'Buy milk', done: false }, { title: 'Call Bob', done: true }]);

    // v2: the table and a column renamed, a column added with a default, an integer widened to a number.
    const second = await publish({
      tasks: {
        renamedFrom: 'todos',
        columns: { name: { type: 'string', required: true, renamedFrom: 'title' }, done: { type: 'boolean', default: false }, priority: { type: 'integer', default: 1 } },
        indexes: [{ columns: ['done'] }],
        access: { read: true, insert: true },
      },
    });
    expect((await scope.data.listTables(app.id)).map((item) => item.name)).toEqual(['tasks']);
    expect((await table('tasks')).id).toBe(todos.id);
    expect(await rows('tasks')).toEqual([{ name: 'Buy milk', done: false, priority: 1 }, { name: 'Call Bob', done: true, priority: 1 }]);
    const third = await publish({ tasks: { columns: { name: { type: 'string', required: true }, done: { type: 'boolean', default: false }, priority: { type: 'number', default: 1 } } } });
    expect((await table('tasks')).columns.find((column) => column.name === 'priority')?.type).toBe('number');

    const migrations = await scope.data.listMigrations(app.id);
    expect(migrations.map((migration) => [migration.versionId, migration.fromVersionId, migration.destructive])).toEqual([
      [first.id, null, false],
      [second.id, first.id, false],
      [third.id, second.id, false],
    ]);
    expect(migrations[1]?.steps.map((step) => step.op)).toEqual(['rename_table', 'rename_column', 'add_column', 'update_table']);
    const audit = await scope.audit.list({ projectId: app.id, action: 'data.migrate' });
    expect(audit.items).toHaveLength(3);
  });

  it('refuses a destructive migration without the flag and changes nothing, then applies it with the flag', async () => {
    const { scope, project: app, publish, save, table, rows } = await project();
    const first = await publish(v1);
    await scope.data.insertRow((await table('todos')).id, { title: 'Keep me', done: true });
    const dropping = await save({ todos: { columns: { title: { type: 'string', required: true } } }, notes: { columns: { text: { type: 'string' } } } });
    const refused = await scope.versions.publish({ projectId: app.id, versionId: dropping.id }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ValidationError);
    expect((refused as ValidationError).message).toMatch(/drop column todos\.done.*allowDestructiveDataChanges/);
    expect((refused as ValidationError).issues).toEqual([{ path: ['allowDestructiveDataChanges'], message: 'drop column todos.done' }]);
    // Nothing moved: not published, no table added, the column and its values still there, no migration recorded.
    expect((await scope.projects.get(app.id)).publishedVersionId).toBe(first.id);
    expect((await scope.data.listTables(app.id)).map((item) => item.name)).toEqual(['todos']);
    expect(await rows('todos')).toEqual([{ title: 'Keep me', done: true }]);
    expect(await scope.data.listMigrations(app.id)).toHaveLength(1);
    // A production deployment of it is refused the same way, before anything is deployed.
    await expect(scope.deployments.create({ projectId: app.id, versionId: dropping.id, environment: 'production' })).rejects.toBeInstanceOf(ValidationError);
    expect((await scope.deployments.list({ projectId: app.id })).items).toHaveLength(0);

    await scope.versions.publish({ projectId: app.id, versionId: dropping.id, allowDestructiveDataChanges: true });
    expect(await rows('todos')).toEqual([{ title: 'Keep me' }]);
    expect((await scope.data.listTables(app.id)).map((item) => item.name).sort()).toEqual(['notes', 'todos']);
    expect((await scope.data.listMigrations(app.id)).at(-1)).toMatchObject({ versionId: dropping.id, destructive: true });
    // Dropping a table is destructive too.
    await expect(publish({ todos: { columns: { title: { type: 'string', required: true } } } })).rejects.toThrow(/drop table notes/);
  });

  it('fails a conversion that does not fit every row, naming the rows, even when destructive changes are allowed', async () => {
    const { scope, project: app, publish, save, table, rows } = await project();
    await publish({ items: { columns: { size: { type: 'string' } } } });
    const items = await table('items');
    const fits = await scope.data.insertRow(items.id, { size: '42' });
    const misfit = await scope.data.insertRow(items.id, { size: 'large' });
    const narrowing = await save({ items: { columns: { size: { type: 'integer' } } } });
    await expect(scope.versions.publish({ projectId: app.id, versionId: narrowing.id })).rejects.toThrow(/change items\.size from string to integer/);
    const failed = (await scope.versions.publish({ projectId: app.id, versionId: narrowing.id, allowDestructiveDataChanges: true }).catch((error: unknown) => error)) as ValidationError;
    expect(failed).toBeInstanceOf(ValidationError);
    expect(failed.issues).toEqual([{ path: ['items', misfit.id, 'size'], message: '"large" is not a valid integer' }]);
    expect(await rows('items')).toEqual([{ size: '42' }, { size: 'large' }]);
    await scope.data.deleteRow(misfit.id);
    await scope.versions.publish({ projectId: app.id, versionId: narrowing.id, allowDestructiveDataChanges: true });
    expect((await scope.data.getRow(fits.id)).data).toEqual({ size: 42 });
    // A new required column without a default cannot be filled in.
    await expect(publish({ items: { columns: { size: { type: 'integer' }, owner: { type: 'string', required: true } } } })).rejects.toThrow(/items\..*owner/);
  });

  it('checks the schema file, migrates production data only with production deployments, and leaves data alone for versions without one', async () => {
    const { scope, project: app, save, publish, table, rows } = await project();
    const broken = await save({ todos: { columns: { done: { type: 'boolean', default: 'no' } }, access: { write: true } } });
    const invalid = (await scope.versions.publish({ projectId: app.id, versionId: broken.id }).catch((error: unknown) => error)) as ValidationError;
    expect(invalid).toBeInstanceOf(ValidationError);
    expect(invalid.issues.map((issue) => issue.path.join('.'))).toEqual(expect.arrayContaining(['vector.data.json.tables.todos.columns.done.default', 'vector.data.json.tables.todos.access']));
    expect((await scope.projects.get(app.id)).publishedVersionId).toBeNull();

    const version = await save(v1);
    // A preview deploys without touching the project's data (it gets a copy of its own).
    await scope.deployments.create({ projectId: app.id, versionId: version.id, environment: 'preview' });
    expect(await scope.data.listTables(app.id)).toEqual([]);
    await scope.deployments.create({ projectId: app.id, versionId: version.id, environment: 'production' });
    const todos = await table('todos');
    await scope.data.insertRow(todos.id, { title: 'stays' });
    // A version without vector.data.json leaves the tables and rows as they are.
    await publish(null);
    expect(await rows('todos')).toEqual([{ title: 'stays', done: false }]);
    expect((await scope.data.listMigrations(app.id)).filter((migration) => migration.environment === 'production')).toHaveLength(1);
    // The same schema again is no migration.
    await publish(v1);
    expect((await scope.data.listMigrations(app.id)).filter((migration) => migration.environment === 'production')).toHaveLength(1);
    // Another organization sees none of it.
    await expect(engine().otherScope.data.listMigrations(app.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
  it('keeps unique indexes and the row size limit, on writes and on migrations', async () => {
    const { scope, project: app, publish, table } = await project();
    await publish({ users: { columns: { email: { type: 'string' }, name: { type: 'string' } } } });
    const users = await table('users');
    await scope.data.insertRow(users.id, { email: 'a@example.com' });
    await scope.data.insertRow(users.id, { email: 'a@example.com' });
    // A unique index over data that repeats itself fails the migration, naming the row.
    await expect(publish({ users: { columns: { email: { type: 'string' }, name: { type: 'string' } }, indexes: [{ columns: ['email'], unique: true }] } })).rejects.toThrow(/users\..*email: the same email as row/);
    const rows = (await scope.data.listRows(users.id)).items;
    await scope.data.deleteRow(rows[1]?.id as string);
    // The version whose publish failed was saved; with the repeat gone, publishing it succeeds.
    await scope.versions.publish({ projectId: app.id, versionId: (await scope.projects.get(app.id)).currentVersionId as string });
    await expect(scope.data.insertRow(users.id, { email: 'a@example.com', name: 'twin' })).rejects.toMatchObject({ code: 'CONFLICT' });
    const other = await scope.data.insertRow(users.id, { email: 'b@example.com' });
    await expect(scope.data.updateRow(other.id, { email: 'a@example.com' })).rejects.toMatchObject({ code: 'CONFLICT' });
    // Rows without the value are not compared.
    await scope.data.insertRow(users.id, { name: 'no email' });
    await scope.data.insertRow(users.id, { name: 'no email either' });
    expect((await scope.data.updateRow(other.id, { name: 'Bee' })).data).toEqual({ email: 'b@example.com', name: 'Bee' });
    // A row over 256 KiB is refused, naming the field.
    expect((await scope.data.insertRow(users.id, { name: 'x'.repeat(200_000) })).data.name).toHaveLength(200_000);
    await expect(scope.data.insertRow(users.id, { name: 'x'.repeat(300_000) })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', issues: [{ path: ['data'] }] });
  });

  it('gives a preview its own copy of the data, at its version’s schema, and drops it with the preview', async () => {
    const { scope, project: app, publish, save, table, rows } = await project();
    await publish(v1);
    const todos = await table('todos');
    await scope.data.insertRow(todos.id, { title: 'In production', done: true });
    // The preview's version drops `done` and adds `owner`: only its copy changes.
    const next = await save({ todos: { columns: { title: { type: 'string', required: true }, owner: { type: 'string', default: 'me' } }, access: everything } });
    const preview = await scope.deployments.create({ projectId: app.id, versionId: next.id, environment: 'preview' });
    const [copy] = await scope.data.listTables(app.id, { deploymentId: preview.id });
    expect(copy).toMatchObject({ name: 'todos', branch: `preview:${preview.id}` });
    expect(copy?.id).not.toBe(todos.id);
    expect((await scope.data.listRows(copy?.id as string)).items.map((row) => row.data)).toEqual([{ title: 'In production', owner: 'me' }]);
    await scope.data.insertRow(copy?.id as string, { title: 'Only in the preview' });
    // Production: its schema, its rows, untouched; no migration of its own.
    expect(await rows('todos')).toEqual([{ title: 'In production', done: true }]);
    expect((await scope.data.listTables(app.id)).map((item) => [item.id, item.branch])).toEqual([[todos.id, 'production']]);
    expect((await scope.data.listMigrations(app.id)).map((migration) => migration.environment)).toEqual(['production', `preview:${preview.id}`]);
    // A production deployment lists the project's own tables.
    const production = await scope.deployments.create({ projectId: app.id, versionId: (await scope.projects.get(app.id)).publishedVersionId as string, environment: 'production' });
    expect((await scope.data.listTables(app.id, { deploymentId: production.id })).map((item) => item.id)).toEqual([todos.id]);

    await scope.deployments.destroy(preview.id);
    await expect(scope.data.getTable(copy?.id as string)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await scope.data.listTables(app.id, { deploymentId: preview.id })).toEqual([]);
    expect(await rows('todos')).toEqual([{ title: 'In production', done: true }]);
  });

  it('rolls code and data back together to how they were published, and can undo that in turn', async () => {
    const { scope, vector, project: app, publish, save, table, rows } = await project();
    await publish(v1);
    const todos = await table('todos');
    const a = await scope.data.insertRow(todos.id, { title: 'A' });
    const b = await scope.data.insertRow(todos.id, { title: 'B' });
    const v2Tables = { todos: { columns: { ...(v1.todos as { columns: object }).columns, priority: { type: 'integer', default: 3 } } }, notes: { columns: { text: { type: 'string' } } } };
    const second = await publish(v2Tables);
    // What v2 was published with: A and B, each with a priority, and an empty notes table.
    const atSecond = await rows('todos');
    expect(atSecond).toEqual([{ title: 'A', done: false, priority: 3 }, { title: 'B', done: false, priority: 3 }]);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const afterSecond = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 5));

    // Later: A changed, B deleted, C added, and v3 drops the notes table.
    await scope.data.updateRow(a.id, { done: true });
    await scope.data.deleteRow(b.id);
    const c = await scope.data.insertRow(todos.id, { title: 'C' });
    const third = await publish({ todos: v2Tables.todos }, { allowDestructiveDataChanges: true });
    const atThird = await rows('todos');

    const historyBefore = await vector.db.selectFrom('vector_data_row_versions').select((eb) => eb.fn.countAll().as('count')).where('project_id', '=', app.id).executeTakeFirstOrThrow();
    const back = await scope.versions.rollback({ projectId: app.id, targetVersionId: second.id, includeData: true });
    expect(back).toMatchObject({ source: 'rollback', restoredFromId: second.id });
    expect((await scope.projects.get(app.id)).publishedVersionId).toBe(back.id);
    expect(await rows('todos')).toEqual(atSecond);
    expect((await scope.data.getRow(b.id)).data).toEqual({ title: 'B', done: false, priority: 3 });
    await expect(scope.data.getRow(c.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await scope.data.listTables(app.id)).map((item) => item.name).sort()).toEqual(['notes', 'todos']);
    // Nothing was rewritten: the history only grew.
    const historyAfter = await vector.db.selectFrom('vector_data_row_versions').select((eb) => eb.fn.countAll().as('count')).where('project_id', '=', app.id).executeTakeFirstOrThrow();
    expect(Number(historyAfter.count)).toBeGreaterThan(Number(historyBefore.count));

    // The history: B's every change, and the table as of any moment.
    expect((await scope.data.listRowVersions(b.id)).map((version) => version.data)).toEqual([
      { title: 'B', done: false },
      { title: 'B', done: false, priority: 3 },
      null,
      { title: 'B', done: false, priority: 3 },
    ]);
    expect((await scope.data.listRowsAsOf(todos.id, afterSecond)).map((row) => row.data)).toEqual(expect.arrayContaining(atSecond));
    expect(await scope.data.listRowsAsOf(todos.id, '2000-01-01T00:00:00Z')).toEqual([]);
    await expect(engine().otherScope.data.listRowVersions(b.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });

    // Undo: back to the data v3 was published with.
    await scope.versions.rollback({ projectId: app.id, targetVersionId: third.id, includeData: true });
    expect(await rows('todos')).toEqual(atThird);
    expect((await scope.data.getRow(c.id)).data).toMatchObject({ title: 'C' });
    expect((await scope.data.listTables(app.id)).map((item) => item.name)).toEqual(['todos']);

    // A version never published has no data state to go back to; nothing changes.
    const unpublished = await save(v1);
    const before = await scope.projects.get(app.id);
    await expect(scope.versions.rollback({ projectId: app.id, targetVersionId: unpublished.id, includeData: true })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/never published/) });
    expect(await scope.projects.get(app.id)).toEqual(before);
    expect(await rows('todos')).toEqual(atThird);
    // A rollback of the code alone leaves the data as it is.
    await scope.versions.rollback({ projectId: app.id, targetVersionId: second.id });
    expect(await rows('todos')).toEqual(atThird);
  });
});

// Keeps the test's schema literals honest against the exported type.
export const exampleSchema: DataSchema = { tables: { todos: { columns: { title: { type: 'string', required: true } }, indexes: [], access: { read: true, insert: false, update: false, delete: false } } } };
