import { consolePath, type ProjectTab } from '../../src/lib/console-route';
import type { Project } from '../api-types';
import { ErrorBanner, Link, Loading } from '../components';
import { useLoad } from '../use-api';
import { ChatTab } from './chat-tab';
import { DataTab } from './data-tab';
import { DeploymentsTab } from './deployments-tab';
import { VersionsTab } from './versions-tab';

const tabNames: Record<ProjectTab, string> = { chat: 'Chat', versions: 'Versions', deployments: 'Deployments', data: 'Data' };

export function ProjectPage({ projectId, tab }: { projectId: string; tab: ProjectTab }) {
  const project = useLoad((api) => api.request<Project>('GET', `/v1/projects/${encodeURIComponent(projectId)}`), [projectId, tab]);
  return (
    <section>
      <p class="crumbs">
        <Link href="/console/projects">Projects</Link> /
      </p>
      <h1>{project.data?.name ?? 'Project'}</h1>
      <ErrorBanner error={project.error} />
      <nav class="tabs" aria-label="Project">
        {(Object.keys(tabNames) as ProjectTab[]).map((name) => (
          <Link key={name} href={consolePath({ page: 'project', projectId, tab: name })} current={name === tab}>
            {tabNames[name]}
          </Link>
        ))}
      </nav>
      {project.loading && !project.data ? <Loading what="the project" /> : null}
      {project.data ? (
        <>
          {tab === 'chat' ? <ChatTab project={project.data} /> : null}
          {tab === 'versions' ? <VersionsTab project={project.data} onProjectChanged={project.reload} /> : null}
          {tab === 'deployments' ? <DeploymentsTab project={project.data} /> : null}
          {tab === 'data' ? <DataTab project={project.data} /> : null}
        </>
      ) : null}
    </section>
  );
}
