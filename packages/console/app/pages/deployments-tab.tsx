import { useEffect, useState } from 'preact/hooks';
import type { Deployment, DeploymentLog, Project } from '../api-types';
import { Badge, ErrorBanner, formatTime, Loading } from '../components';
import { asApiError, useAction, useApi, useLoad } from '../use-api';

const settled = new Set(['live', 'failed', 'destroyed', 'expired']);

/** Previews (deploy, follow the build log, open, destroy) and production with its history. */
export function DeploymentsTab({ project }: { project: Project }) {
  const api = useApi();
  const deployments = useLoad((client) => client.request<{ items: Deployment[] }>('GET', `/v1/projects/${project.id}/deployments?limit=100`), [project.id]);
  const [followed, setFollowed] = useState<string | null>(null);
  const action = useAction();
  const items = deployments.data?.items ?? [];
  const previews = items.filter((deployment) => deployment.environment === 'preview');
  const production = items.filter((deployment) => deployment.environment === 'production');

  // While any deployment is still on its way, read the list again every second.
  const pending = items.some((deployment) => !settled.has(deployment.status));
  useEffect(() => {
    if (!pending) return;
    const timer = setInterval(deployments.reload, 1_000);
    return () => clearInterval(timer);
  }, [pending, deployments.reload]);

  const deploy = async (environment: 'preview' | 'production') => {
    const created = await action.run(() => api.request<Deployment>('POST', `/v1/projects/${project.id}/deployments`, { environment }));
    if (created) {
      setFollowed(created.id);
      deployments.reload();
    }
  };

  const list = (entries: Deployment[], caption: string) => (
    <div class="scroll">
    <table>
      <caption>{caption}</caption>
      <thead>
        <tr><th scope="col">Created</th><th scope="col">Status</th><th scope="col">Version</th><th scope="col">Preview</th><th scope="col">Actions</th></tr>
      </thead>
      <tbody>
        {entries.map((deployment) => (
          <tr key={deployment.id} data-deployment-id={deployment.id}>
            <td>{formatTime(deployment.createdAt)}</td>
            <td>
              <Badge value={deployment.status} />
              {deployment.error ? <span class="del"> {deployment.error.message} <code>{deployment.error.code}</code></span> : null}
            </td>
            <td><code>{deployment.versionId.slice(0, 8)}</code></td>
            <td>{deployment.url && deployment.status === 'live' ? <a href={deployment.url} target="_blank" rel="noopener noreferrer">Open preview</a> : '—'}</td>
            <td class="row">
              <button type="button" class="secondary" aria-pressed={followed === deployment.id} onClick={() => setFollowed(deployment.id)}>Build log</button>
              {deployment.status !== 'destroyed' ? (
                <button
                  type="button"
                  class="danger"
                  disabled={action.busy}
                  onClick={async () => {
                    await action.run(() => api.request('DELETE', `/v1/deployments/${deployment.id}`));
                    deployments.reload();
                  }}
                >
                  Destroy
                </button>
              ) : null}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
    </div>
  );

  return (
    <div>
      <div class="row">
        <button type="button" disabled={action.busy || !project.currentVersionId} onClick={() => deploy('preview')}>Deploy preview</button>
        <button type="button" class="secondary" disabled={action.busy || !project.currentVersionId} onClick={() => deploy('production')}>Deploy to production</button>
        {!project.currentVersionId ? <span class="muted">The project has no version to deploy yet.</span> : null}
      </div>
      <ErrorBanner error={action.error} />
      <ErrorBanner error={deployments.error} />
      {deployments.loading && !deployments.data ? <Loading what="deployments" /> : null}
      <h2>Previews</h2>
      {previews.length ? list(previews, 'Preview deployments') : <p class="muted">No previews.</p>}
      <h2>Production</h2>
      {production.length ? list(production, 'Production history, newest first') : <p class="muted">Nothing in production yet.</p>}
      {followed ? <BuildLog key={followed} deploymentId={followed} /> : null}
    </div>
  );
}

/** A deployment's log, read on with `afterSequence` every second until the deployment settles. */
function BuildLog({ deploymentId }: { deploymentId: string }) {
  const api = useApi();
  const [lines, setLines] = useState<DeploymentLog[]>([]);
  const [status, setStatus] = useState<string>('pending');
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let stopped = false;
    let after = 0;
    const read = async () => {
      try {
        const [deployment, logs] = await Promise.all([
          api.request<Deployment>('GET', `/v1/deployments/${deploymentId}`),
          api.request<{ items: DeploymentLog[] }>('GET', `/v1/deployments/${deploymentId}/logs?afterSequence=${after}`),
        ]);
        if (stopped) return;
        if (logs.items.length) {
          after = logs.items.at(-1)?.sequence ?? after;
          setLines((previous) => [...previous, ...logs.items.filter((line) => line.sequence > (previous.at(-1)?.sequence ?? 0))]);
        }
        setStatus(deployment.status);
        setError(null);
        if (settled.has(deployment.status)) {
          // One more read picks up the lines written with the last status change.
          const rest = await api.request<{ items: DeploymentLog[] }>('GET', `/v1/deployments/${deploymentId}/logs?afterSequence=${after}`);
          if (!stopped && rest.items.length) setLines((previous) => [...previous, ...rest.items.filter((line) => line.sequence > (previous.at(-1)?.sequence ?? 0))]);
          return;
        }
      } catch (caught) {
        if (!stopped) setError(caught);
      }
      if (!stopped) setTimeout(() => void read(), 1_000);
    };
    void read();
    return () => {
      stopped = true;
    };
  }, [api, deploymentId]);
  return (
    <section aria-label="Build log">
      <h2>
        Build log <Badge value={status} />
      </h2>
      <ErrorBanner error={error ? asApiError(error) : null} />
      <pre class="log" aria-live="polite" tabIndex={0}>
        {lines.length === 0 ? 'Waiting for log lines…' : lines.map((line) => `${line.timestamp.slice(11, 19)} ${line.source} ${line.level}: ${line.message}`).join('\n')}
      </pre>
    </section>
  );
}
