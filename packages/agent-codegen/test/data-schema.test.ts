import { type AgentEvent, DATA_SCHEMA_FILE } from '@vector/core';
import { createAgentTestContext } from '@vector/core/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { checkDataSchema } from '../src/data-schema-file.js';
import { codegenPromptVersions, loadCodegenPrompts } from '../src/index.js';
import { WorkingCopy } from '../src/working-copy.js';
import { agentFor, collect, intentAndPlan, markerBuildChecker, reactApp, resultOf, runContext, validationsOf, viteApp } from './agent-test-helpers.js';
import { expectEveryTurnUsed, useFakeOpenAIServer } from './fake-openai-server.js';

const fake = useFakeOpenAIServer();
beforeEach(() => {
  fake.reset();
});

const messagesOf = (index: number) => (fake.requests[index]?.body.messages ?? []) as Array<{ role: string; content: string | null }>;
const userMessageOf = (index: number) => messagesOf(index).findLast((message) => message.role === 'user')?.content ?? '';
const finish = (message: string) => ({ toolCalls: [{ name: 'finish', arguments: { commit_message: message, summary: `${message}.` } }] });
const writeSchema = (schema: unknown) => ({ toolCalls: [{ name: 'write_file', arguments: { path: DATA_SCHEMA_FILE, content: `${JSON.stringify(schema, null, 2)}\n` } }] });

const todosSchema = {
  tables: {
    todos: {
      columns: { title: { type: 'string', required: true }, done: { type: 'boolean', default: false }, priority: { type: 'integer', renamedFrom: 'prio' } },
      indexes: [{ columns: ['done'], unique: false }],
      access: { read: true, insert: true, update: true, delete: true },
    },
  },
};
const todosJson = `${JSON.stringify(todosSchema, null, 2)}\n`;
const copyOf = (files: Record<string, string>) => new WorkingCopy(createAgentTestContext({ message: 'x', files: Object.entries(files).map(([path, content]) => ({ path, content })) }).files);

describe('the data schema in the model context', () => {
  it('shows an existing vector.data.json to the plan and change calls', async () => {
    fake.enqueue(...intentAndPlan('edit', ['Add a notes column to todos in vector.data.json']), finish('Nothing to change'));
    const { error } = await collect(agentFor(fake).run(runContext({ files: { ...reactApp('Todos'), [DATA_SCHEMA_FILE]: todosJson }, message: 'Let todos have notes' })));
    expect(error).toBeNull();
    // The intent call gets the message only.
    expect(JSON.stringify(messagesOf(0))).not.toContain('"renamedFrom');
    for (const index of [1, 2]) {
      const context = userMessageOf(index);
      expect(context).toContain(`${DATA_SCHEMA_FILE} (`);
      expect(context).toContain("The app's data schema, vector.data.json");
      // The file as it is, not a summary of it.
      expect(context).toContain(`\`\`\`json\n${todosJson.trimEnd()}\n\`\`\``);
      expect(context).not.toContain('is cut here');
    }
    expectEveryTurnUsed(fake);
  });

  it('leaves the section out when the project has no vector.data.json', async () => {
    fake.enqueue(...intentAndPlan('edit'), finish('Nothing to change'));
    const { error } = await collect(agentFor(fake).run(runContext({ files: reactApp(), message: 'Anything?' })));
    expect(error).toBeNull();
    expect(userMessageOf(1)).not.toContain("The app's data schema");
    expect(userMessageOf(2)).not.toContain("The app's data schema");
  });

  it('cuts a schema longer than one tool result, with a note on how to read the rest', async () => {
    const tables: Record<string, unknown> = {};
    for (let index = 0; index < 60; index += 1) tables[`table_${String(index).padStart(2, '0')}`] = todosSchema.tables.todos;
    const big = JSON.stringify({ tables }, null, 2);
    expect(big.length).toBeGreaterThan(20_000);
    fake.enqueue(...intentAndPlan('edit'), finish('Nothing to change'));
    // A budget of 2 000 tokens allows 4 000 characters per tool result.
    const { error } = await collect(agentFor(fake, { contextTokenBudget: 2_000 }).run(runContext({ files: { ...reactApp(), [DATA_SCHEMA_FILE]: big }, message: 'Anything?' })));
    expect(error).toBeNull();
    const context = userMessageOf(2);
    const section = context.slice(context.indexOf("The app's data schema"), context.indexOf('\n\nRequest:'));
    expect(section.length).toBeLessThanOrEqual(4_000);
    expect(section).toContain('"table_00"');
    expect(section).not.toContain('"table_59"');
    expect(section).toMatch(new RegExp(`\\(vector\\.data\\.json is cut here: shown are the first \\d+ of its ${big.length} characters, ending in line \\d+; read the rest with read_file and start_line \\d+\\.\\)$`));
  });
});

describe('checking vector.data.json', () => {
  it('fails a schema the model wrote with a located error, and a fix round repairs it', async () => {
    const broken = structuredClone(todosSchema) as { tables: { todos: { columns: Record<string, Record<string, unknown>> } } };
    broken.tables.todos.columns.done = { type: 'boolean', default: 'no' };
    fake.enqueue(
      ...intentAndPlan('edit', ['Declare the todos table in vector.data.json']),
      writeSchema(broken),
      finish('Store todos'),
      { toolCalls: [{ name: 'edit_file', arguments: { path: DATA_SCHEMA_FILE, edits: [{ search: '"default": "no"', replace: '"default": false' }] } }] },
      finish('Store todos with a valid default'),
    );
    const { events, error } = await collect(agentFor(fake).run(runContext({ files: reactApp('Todos'), message: 'Keep my todos' })));
    expect(error).toBeNull();
    expect(validationsOf(events)).toEqual([
      { type: 'validation', status: 'failed', round: 1, check: 'bundle', errors: ['vector.data.json: tables.todos.columns.done.default: the default is not a valid boolean'] },
      { type: 'validation', status: 'passed', round: 2, check: 'bundle', errors: [] },
    ]);
    // The fix round got the error through the validation-fix prompt.
    expect(userMessageOf(4)).toContain('Validation round 1 of 3');
    expect(userMessageOf(4)).toContain('vector.data.json: tables.todos.columns.done.default: the default is not a valid boolean');
    const result = resultOf(events);
    expect(result).toMatchObject({ validationStatus: 'passed', validationCheck: 'bundle', commitMessage: 'Store todos with a valid default' });
    expect(result?.changes).toEqual([{ type: 'write', path: DATA_SCHEMA_FILE, content: todosJson }]);
    expectEveryTurnUsed(fake);
  });

  it('reports schema errors first, next to the build checker diagnostics', async () => {
    const checker = markerBuildChecker();
    fake.enqueue(
      ...intentAndPlan('edit'),
      writeSchema({ tables: { todos: { columns: { title: { type: 'text' } } }, notes: { columns: { body: { type: 'string' } }, access: { read: 'yes' } } } }),
      { toolCalls: [{ name: 'edit_file', arguments: { path: 'src/App.tsx', edits: [{ search: '<h1>Hello</h1>', replace: '<h1>{BUILD_BREAKS_HERE}</h1>' }] } }] },
      finish('Break both'),
      finish('Still broken'),
    );
    const { events, error } = await collect(agentFor(fake, { buildChecker: checker, maxFixRounds: 1 }).run(runContext({ files: viteApp(), message: 'Change it' })));
    expect(error).toBeNull();
    const [first] = validationsOf(events);
    expect(first).toMatchObject({ status: 'failed', check: 'build' });
    expect(first?.errors).toEqual([
      'vector.data.json: tables.todos.columns.title.type: Invalid option: expected one of "string"|"number"|"integer"|"boolean"|"datetime"|"json"',
      'vector.data.json: tables.notes.access.read: Invalid input: expected boolean, received string',
      "src/App.tsx:2:15: error TS2304: Cannot find name 'BUILD_BREAKS_HERE'.",
    ]);
    // The build checker got the schema file like any other file.
    expect(checker.calls[0]?.files.has(DATA_SCHEMA_FILE)).toBe(true);
    expect(resultOf(events)).toMatchObject({ validationStatus: 'failed', validationCheck: 'build' });
  });

  it('fails an invalid schema even when the project has no code to check', async () => {
    fake.enqueue(...intentAndPlan('edit'), { toolCalls: [{ name: 'write_file', arguments: { path: DATA_SCHEMA_FILE, content: '{ "tables": { "todos": ' } }] }, finish('Add data'), writeSchema(todosSchema), finish('Add valid data'));
    const { events, error } = await collect(agentFor(fake).run(runContext({ files: { 'README.md': '# Data only\n' }, message: 'Declare todos' })));
    expect(error).toBeNull();
    const validations = validationsOf(events);
    expect(validations.map((event) => [event.status, event.check ?? null])).toEqual([['failed', null], ['not_run', null]]);
    expect(validations[0]?.errors).toEqual([expect.stringMatching(/^vector\.data\.json: invalid JSON \(.+\)$/)]);
    // A valid schema alone changes nothing about the check: no code, nothing run.
    expect(resultOf(events)).toMatchObject({ validationStatus: 'not_run', validationCheck: null });
    expect(userMessageOf(4)).toContain('vector.data.json: invalid JSON');
    expectEveryTurnUsed(fake);
  });

  it('does not check a schema the job left alone or deleted', async () => {
    const invalid = '{ "tables": { "todos": { "columns": { "done": { "type": "boolean", "default": "no" } } } } }\n';
    fake.enqueue(...intentAndPlan('edit'), { toolCalls: [{ name: 'edit_file', arguments: { path: 'src/App.tsx', edits: [{ search: 'Hello', replace: 'Hi' }] } }] }, finish('Say hi'));
    const untouched = await collect(agentFor(fake).run(runContext({ files: { ...reactApp(), [DATA_SCHEMA_FILE]: invalid }, message: 'Say hi' })));
    expect(untouched.error).toBeNull();
    expect(validationsOf(untouched.events)).toEqual([{ type: 'validation', status: 'passed', round: 1, check: 'bundle', errors: [] }]);
    fake.enqueue(...intentAndPlan('edit'), { toolCalls: [{ name: 'delete_file', arguments: { path: DATA_SCHEMA_FILE } }] }, finish('Drop the data'));
    const deleted = await collect(agentFor(fake).run(runContext({ files: { ...reactApp(), [DATA_SCHEMA_FILE]: invalid }, message: 'Forget the data' })));
    expect(deleted.error).toBeNull();
    expect(validationsOf(deleted.events)).toEqual([{ type: 'validation', status: 'passed', round: 1, check: 'bundle', errors: [] }]);
    expectEveryTurnUsed(fake);
  });

  it('locates each problem by its path in the file, quoting names that are not identifiers', async () => {
    const copy = copyOf({ [DATA_SCHEMA_FILE]: todosJson });
    expect(await checkDataSchema(copy)).toEqual([]);
    await copy.write(DATA_SCHEMA_FILE, JSON.stringify({ tables: { 'my todos': { columns: { x: { type: 'string' } } }, t: { columns: { at: { type: 'datetime', default: 'yesterday' } }, access: { write: true } } }, extra: 1 }));
    expect(await checkDataSchema(copy)).toEqual([
      'vector.data.json: tables["my todos"]: invalid name (names are identifiers: a letter or _, then letters, digits or _ (at most 63))',
      'vector.data.json: tables.t.access: Unrecognized key: "write"',
      'vector.data.json: tables.t.columns.at.default: the default is not a valid datetime',
      'vector.data.json: Unrecognized key: "extra"',
    ]);
    await copy.write(DATA_SCHEMA_FILE, JSON.stringify({ tables: { todos: { columns: { priority: { type: 'integer', renamedFrom: 'done' }, done: { type: 'boolean' } } } } }));
    expect(await checkDataSchema(copy)).toEqual(['vector.data.json: tables.todos.columns.priority.renamedFrom: done is still a column of this table']);
  });
});

describe('prompts', () => {
  it('teach the generate, edit and fix prompts vector.data.json', async () => {
    expect(codegenPromptVersions).toMatchObject({ generate: 'v3', edit: 'v2', fix: 'v2' });
    const prompts = await loadCodegenPrompts();
    for (const name of ['generate', 'edit'] as const) {
      const prompt = prompts[name];
      for (const required of ['vector.data.json', '"tables"', '"columns"', '"indexes"', '"access"', '"renamedFrom"', '`string`, `number`, `integer`, `boolean`, `datetime`', '`json`', 'default', 'additively', 'Allow what the app needs', '{{plan}}']) {
        expect(prompt, `${name} mentions ${required}`).toContain(required);
      }
    }
    expect(prompts.generate).toContain('If the app keeps data');
    expect(prompts.edit).toContain('create it if the project has none');
    for (const required of ['vector.data.json', 'renamedFrom', 'access', '{{plan}}']) expect(prompts.fix).toContain(required);
  });
});
