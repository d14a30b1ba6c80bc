import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, inChromium } from '../../../test-support/chromium.js';
import { viteReactApp } from '../../provider-local/test/sample-apps.js';
import { type LocalPreviewStack, startLocalPreviewStack } from './local-preview-stack.js';

// The acceptance test of runtime data: the Vite + React app with a todo list that keeps its
// todos through @vector/data-client, declared in vector.data.json. Published (production gets
// the table), then deployed as a preview built on this machine; in Chromium a todo is added,
// the page reloaded, and the todo is still there: in the preview's own data, never production's.
const browserMissing = !chromiumAvailable() && !process.env.CI;

// The client as an app would import it: its built module, vendored into the app's sources.
const clientModule = readFileSync(new URL('../../data-client/dist/index.js', import.meta.url), 'utf8');

const dataSchema = { tables: { todos: { columns: { title: { type: 'string', required: true }, done: { type: 'boolean', default: false } }, access: { read: true, insert: true, update: true, delete: true } } } };

const todoApp = `import { useEffect, useState } from 'react';
import { createDataClient } from './vector-data-client.js';

type Todo = { title: string; done: boolean };
const todos = createDataClient<{ todos: Todo }>({ url: import.meta.env.VITE_VECTOR_DATA_URL, token: import.meta.env.VITE_VECTOR_DATA_TOKEN }).table('todos');

export function App() {
  const [items, setItems] = useState<Array<{ id: string; data: Todo }>>([]);
  const [title, setTitle] = useState('');
  const [error, setError] = useState('');
  const load = () => todos.list().then((page) => setItems(page.items as Array<{ id: string; data: Todo }>), (failure: Error) => setError(failure.message));
  useEffect(() => { void load(); }, []);
  const add = async () => {
    await todos.insert({ title }).catch((failure: Error) => setError(failure.message));
    setTitle('');
    await load();
  };
  return (
    <main>
      <h1>Todos</h1>
      <input aria-label="New todo" value={title} onChange={(event) => setTitle(event.target.value)} />
      <button onClick={() => void add()}>Add</button>
      <ul>{items.map((item) => <li key={item.id}>{item.data.title}</li>)}</ul>
      {error ? <p role="alert">{error}</p> : null}
    </main>
  );
}
`;

describe.skipIf(browserMissing)('a todo app keeping its data in a preview, in Chromium', () => {
  let stack: LocalPreviewStack;
  beforeAll(async () => {
    stack = await startLocalPreviewStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('adds a todo, still has it after a reload, and production never sees it', async () => {
    expect(chromiumAvailable(), 'Chromium is required in CI (/usr/bin/chromium, or VECTOR_CHROMIUM)').toBe(true);
    const projectId = await stack.uploadProject(
      'todos',
      viteReactApp({
        'src/App.tsx': todoApp,
        'src/vector-data-client.js': clientModule,
        'src/vector-data-client.d.ts': readFileSync(new URL('../../data-client/dist/index.d.ts', import.meta.url), 'utf8'),
        'src/vite-env.d.ts': '/// <reference types="vite/client" />\n',
        'vector.data.json': JSON.stringify(dataSchema, null, 2),
      }),
    );
    const project = (await stack.api('GET', `/v1/projects/${projectId}`)).json;
    // Production gets the table by publishing; it stays empty.
    expect((await stack.api('POST', `/v1/projects/${projectId}/publish`, { versionId: project.currentVersionId })).status).toBe(200);
    const productionTables = (await stack.api('GET', `/v1/projects/${projectId}/tables`)).json;
    const productionTodos = productionTables.items.find((table: { name: string }) => table.name === 'todos');
    expect(productionTodos).toBeDefined();

    const live = await stack.deployPreview(projectId, 360_000);
    expect(live.status, JSON.stringify(live.error)).toBe('live');
    await inChromium(live.url as string, async (page) => {
      await page.getByRole('heading', { name: 'Todos' }).waitFor({ timeout: 15_000 });
      await page.getByLabel('New todo').fill('Water the plants');
      await page.getByRole('button', { name: 'Add' }).click();
      await page.getByRole('listitem').filter({ hasText: 'Water the plants' }).waitFor({ timeout: 15_000 });
      await page.reload();
      await page.getByRole('listitem').filter({ hasText: 'Water the plants' }).waitFor({ timeout: 15_000 });
      expect(await page.getByRole('alert').count()).toBe(0);
    });
    // Production's todos: none.
    expect((await stack.api('GET', `/v1/tables/${productionTodos.id}/rows`)).json.items).toEqual([]);
  }, 420_000);
});
