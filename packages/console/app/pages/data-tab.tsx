import { useState } from 'preact/hooks';
import type { DataRow, DataTable, Project } from '../api-types';
import { ErrorBanner, Loading } from '../components';
import { useLoad } from '../use-api';

/** The project's tables and their rows. */
export function DataTab({ project }: { project: Project }) {
  const tables = useLoad((client) => client.request<{ items: DataTable[] }>('GET', `/v1/projects/${project.id}/tables?limit=200`), [project.id]);
  const [tableId, setTableId] = useState<string | null>(null);
  const table = tables.data?.items.find((item) => item.id === tableId) ?? tables.data?.items[0] ?? null;
  return (
    <div class="split">
      <div>
        <h2>Tables</h2>
        <ErrorBanner error={tables.error} />
        {tables.loading && !tables.data ? <Loading what="tables" /> : null}
        {tables.data && tables.data.items.length === 0 ? <p class="muted">No tables. An app declares them in its <code>vector.data.json</code>.</p> : null}
        <ul class="plain">
          {tables.data?.items.map((item) => (
            <li key={item.id}>
              <button type="button" class="link" aria-pressed={item.id === table?.id} onClick={() => setTableId(item.id)}>{item.name}</button>
            </li>
          ))}
        </ul>
      </div>
      {table ? <Rows table={table} /> : null}
    </div>
  );
}

function Rows({ table }: { table: DataTable }) {
  const rows = useLoad((client) => client.request<{ items: DataRow[] }>('GET', `/v1/tables/${table.id}/rows?limit=100`), [table.id]);
  return (
    <section aria-label={`Rows of ${table.name}`}>
      <h2>{table.name}</h2>
      <ErrorBanner error={rows.error} />
      {rows.loading && !rows.data ? <Loading what="rows" /> : null}
      <div class="scroll">
        <table>
          <caption>First 100 rows</caption>
          <thead>
            <tr>
              <th scope="col">id</th>
              {table.columns.map((column) => (
                <th key={column.name} scope="col">{column.name} <span class="muted">{column.type}</span></th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.data?.items.map((row) => (
              <tr key={row.id}>
                <td><code>{row.id.slice(0, 8)}</code></td>
                {table.columns.map((column) => <td key={column.name}>{JSON.stringify(row.data[column.name] ?? null)}</td>)}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
