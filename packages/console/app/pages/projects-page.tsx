import { useState } from 'preact/hooks';
import { consolePath } from '../../src/lib/console-route';
import type { Project } from '../api-types';
import { ErrorBanner, formatTime, Link, Loading } from '../components';
import { navigate } from '../navigate';
import { useAction, useApi, useLoad } from '../use-api';

export function ProjectsPage() {
  const api = useApi();
  const projects = useLoad((client) => client.request<{ items: Project[] }>('GET', '/v1/projects?limit=200'), []);
  const [name, setName] = useState('');
  const [confirming, setConfirming] = useState<string | null>(null);
  const action = useAction();
  return (
    <section>
      <h1>Projects</h1>
      <form
        class="inline"
        onSubmit={async (event) => {
          event.preventDefault();
          const project = await action.run(() => api.request<Project>('POST', '/v1/projects', { name: name.trim() }));
          if (project) navigate(consolePath({ page: 'project', projectId: project.id, tab: 'chat' }));
        }}
      >
        <label for="project-name">New project name</label>
        <input id="project-name" required maxLength={200} value={name} onInput={(event) => setName(event.currentTarget.value)} />
        <button type="submit" disabled={action.busy}>Create project</button>
      </form>
      <ErrorBanner error={action.error} />
      <ErrorBanner error={projects.error} />
      {projects.loading && !projects.data ? <Loading what="projects" /> : null}
      {projects.data && projects.data.items.length === 0 ? <p class="muted">No projects yet: create one above.</p> : null}
      <ul class="cards">
        {projects.data?.items.map((project) => (
          <li key={project.id} class="card">
            <h2>
              <Link href={consolePath({ page: 'project', projectId: project.id, tab: 'chat' })}>{project.name}</Link>
            </h2>
            <p class="muted">
              Created {formatTime(project.createdAt)} · {project.currentVersionId ? 'has versions' : 'no version yet'}
            </p>
            {confirming === project.id ? (
              <div class="row">
                <span>Delete “{project.name}” and everything in it?</span>
                <button
                  type="button"
                  class="danger"
                  onClick={async () => {
                    await action.run(() => api.request('DELETE', `/v1/projects/${project.id}`));
                    setConfirming(null);
                    projects.reload();
                  }}
                >
                  Yes, delete
                </button>
                <button type="button" class="secondary" onClick={() => setConfirming(null)}>Keep it</button>
              </div>
            ) : (
              <button type="button" class="secondary" aria-label={`Delete ${project.name}`} onClick={() => setConfirming(project.id)}>
                Delete
              </button>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
