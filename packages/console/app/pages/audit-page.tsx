import { useState } from 'preact/hooks';
import type { AuditEntry } from '../api-types';
import { ErrorBanner, formatTime, Loading } from '../components';
import { useLoad } from '../use-api';

const fields = [
  { name: 'action', label: 'Action', placeholder: 'project.create' },
  { name: 'projectId', label: 'Project id', placeholder: '' },
  { name: 'actorId', label: 'Actor id', placeholder: '' },
  { name: 'since', label: 'Since', placeholder: '2026-01-01T00:00:00Z' },
  { name: 'until', label: 'Until', placeholder: '' },
] as const;

/** The organization's audit log, filtered by the API's own filters (admins and owners). */
export function AuditPage() {
  const [draft, setDraft] = useState<Record<string, string>>({});
  const [filters, setFilters] = useState<Record<string, string>>({});
  const query = new URLSearchParams(Object.entries(filters).filter(([, value]) => value.trim() !== '')).toString();
  const entries = useLoad((client) => client.request<{ items: AuditEntry[] }>('GET', `/v1/audit?limit=100${query ? `&${query}` : ''}`), [query]);
  return (
    <section>
      <h1>Audit log</h1>
      <form
        class="filters"
        onSubmit={(event) => {
          event.preventDefault();
          setFilters({ ...draft });
        }}
      >
        {fields.map((field) => (
          <div key={field.name}>
            <label for={`audit-${field.name}`}>{field.label}</label>
            <input id={`audit-${field.name}`} value={draft[field.name] ?? ''} placeholder={field.placeholder} onInput={(event) => setDraft({ ...draft, [field.name]: event.currentTarget.value })} />
          </div>
        ))}
        <button type="submit">Filter</button>
      </form>
      <ErrorBanner error={entries.error} />
      {entries.loading && !entries.data ? <Loading what="the audit log" /> : null}
      <div class="scroll">
        <table>
          <caption>Newest first, up to 100 entries</caption>
          <thead>
            <tr><th scope="col">When</th><th scope="col">Action</th><th scope="col">Actor</th><th scope="col">Entity</th><th scope="col">Project</th></tr>
          </thead>
          <tbody>
            {entries.data?.items.map((entry) => (
              <tr key={entry.id}>
                <td>{formatTime(entry.createdAt)}</td>
                <td><code>{entry.action}</code></td>
                <td>{entry.actor.type} <code>{entry.actor.id.slice(0, 8)}</code></td>
                <td>{entry.entityType} <code>{entry.entityId.slice(0, 8)}</code></td>
                <td>{entry.projectId ? <code>{entry.projectId.slice(0, 8)}</code> : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
