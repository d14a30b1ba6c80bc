import { useEffect, useState } from 'preact/hooks';
import type { Deployment, DeploymentLog, Project } from '../api-types';
import { apiBaseUrl } from '../app';
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

/**
 * A deployment's log, live: a stream token from `POST /v1/deployments/:id/stream-token`, then
 * `EventSource` on `/v1/deployments/:id/logs?access_token=` (the way a browser must, having no
 * `Authorization` header), with `log` lines and `status` changes. A dropped connection is resumed
 * by the browser with `Last-Event-ID`; when it gives up, a new token reopens the stream after the
 * last line shown. Once the deployment has settled, the server ends the stream and it stays closed.
 */
function BuildLog({ deploymentId }: { deploymentId: string }) {
  const api = useApi();
  const [lines, setLines] = useState<DeploymentLog[]>([]);
  const [status, setStatus] = useState<string>('pending');
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let stopped = false;
    let settledNow = false;
    let source: EventSource | null = null;
    let last = 0;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const path = `/v1/deployments/${encodeURIComponent(deploymentId)}`;
    const open = async () => {
      if (stopped) return;
      let token: string;
      try {
        token = (await api.request<{ token: string }>('POST', `${path}/stream-token`)).token;
      } catch (caught) {
        if (stopped) return;
        setError(caught);
        retry = setTimeout(() => void open(), 3_000);
        return;
      }
      if (stopped) return;
      const current = new EventSource(`${apiBaseUrl}${path}/logs?access_token=${encodeURIComponent(token)}&afterSequence=${last}`);
      source = current;
      current.addEventListener('log', (message) => {
        const line = JSON.parse((message as MessageEvent<string>).data) as DeploymentLog;
        // A line is shown once, whatever a reconnect replays.
        if (line.sequence <= last) return;
        last = line.sequence;
        setLines((previous) => [...previous, line]);
      });
      current.addEventListener('status', (message) => {
        const data = JSON.parse((message as MessageEvent<string>).data) as { status: string };
        setStatus(data.status);
        setError(null);
        // The server sends the last lines, then ends the stream: it is not reopened after that.
        if (settled.has(data.status)) settledNow = true;
      });
      current.addEventListener('error', () => {
        if (stopped || source !== current) return;
        if (settledNow) {
          current.close();
          return;
        }
        // CONNECTING: the browser reconnects by itself (with Last-Event-ID). CLOSED: it gave up.
        if (current.readyState === EventSource.CLOSED) retry = setTimeout(() => void open(), 1_000);
      });
    };
    void open();
    return () => {
      stopped = true;
      clearTimeout(retry);
      source?.close();
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
