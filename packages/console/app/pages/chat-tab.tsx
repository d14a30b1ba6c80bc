import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../../src/lib/api-error';
import { consolePath } from '../../src/lib/console-route';
import { isTerminal, type JobStreamState } from '../../src/lib/job-stream-state';
import type { ChatMessage, Job, Project, Session } from '../api-types';
import { apiBaseUrl } from '../app';
import { Badge, ErrorBanner, Link, Loading } from '../components';
import { type ConnectionState, followJob } from '../follow-job';
import { asApiError, useAction, useApi, useLoad } from '../use-api';

/** Chat with the project's agent; the running job streams live below the messages. */
export function ChatTab({ project }: { project: Project }) {
  const api = useApi();
  const sessions = useLoad((client) => client.request<{ items: Session[] }>('GET', `/v1/projects/${project.id}/sessions?limit=1`), [project.id]);
  const session = sessions.data?.items[0] ?? null;
  const messages = useLoad((client) => (session ? client.request<{ items: ChatMessage[] }>('GET', `/v1/sessions/${session.id}/messages?limit=200`) : Promise.resolve({ items: [] })), [session?.id]);
  const [jobId, setJobId] = useState<string | null>(null);
  const [content, setContent] = useState('');
  const send = useAction();

  // Pick up a job still running when the page opens.
  useEffect(() => {
    let current = true;
    api.request<{ items: Job[] }>('GET', `/v1/projects/${project.id}/jobs?limit=5`).then(
      (jobs) => {
        const running = jobs.items.find((job) => job.status === 'queued' || job.status === 'running');
        if (current && running) setJobId(running.id);
      },
      () => undefined,
    );
    return () => {
      current = false;
    };
  }, [api, project.id]);

  return (
    <div class="chat">
      <ErrorBanner error={sessions.error ?? messages.error} />
      {messages.loading && !messages.data ? <Loading what="messages" /> : null}
      <ol class="messages" aria-label="Messages">
        {messages.data?.items.map((message) => (
          <li key={message.id} class={`message message-${message.role}`}>
            <span class="role">{message.role === 'user' ? 'You' : message.role === 'assistant' ? 'Agent' : 'System'}</span>
            <p>{message.content}</p>
            {message.versionId ? <Link href={consolePath({ page: 'project', projectId: project.id, tab: 'versions' })}>See the version</Link> : null}
          </li>
        ))}
      </ol>
      {jobId ? <JobView key={jobId} jobId={jobId} projectId={project.id} onFinished={messages.reload} /> : null}
      <form
        class="composer"
        onSubmit={async (event) => {
          event.preventDefault();
          const text = content.trim();
          if (!text) return;
          const answer = await send.run(async () => {
            const target = session ?? (await api.request<Session>('POST', `/v1/projects/${project.id}/sessions`, {}));
            const posted = await api.request<{ job: Job }>('POST', `/v1/sessions/${target.id}/messages`, { content: text });
            if (!session) sessions.reload();
            return posted;
          });
          if (answer) {
            setContent('');
            setJobId(answer.job.id);
            messages.reload();
          }
        }}
      >
        <label for="message">Message to the agent</label>
        <textarea id="message" rows={3} required value={content} onInput={(event) => setContent(event.currentTarget.value)} />
        <button type="submit" disabled={send.busy}>Send</button>
      </form>
      <ErrorBanner error={send.error} />
    </div>
  );
}

function JobView({ jobId, projectId, onFinished }: { jobId: string; projectId: string; onFinished: () => void }) {
  const api = useApi();
  const [state, setState] = useState<JobStreamState | null>(null);
  const [connection, setConnection] = useState<ConnectionState>('connecting');
  const [streamError, setStreamError] = useState<unknown>(null);
  const cancel = useAction();

  useEffect(
    () =>
      followJob({
        api,
        baseUrl: apiBaseUrl,
        jobId,
        onState: (next) => {
          setState(next);
          if (isTerminal(next)) onFinished();
        },
        onConnection: setConnection,
        onError: setStreamError,
      }),
    [api, jobId],
  );

  const running = state ? !isTerminal(state) : true;
  return (
    <section class="job" aria-label="Agent job" data-job-id={jobId} data-last-sequence={state?.lastSequence ?? 0}>
      <header class="row">
        <h2>Job</h2>
        <Badge value={state?.status ?? 'queued'} />
        <span class="muted" data-connection={connection}>stream: {connection}</span>
        {running ? (
          <button type="button" class="danger" disabled={cancel.busy} onClick={() => cancel.run(() => api.request('POST', `/v1/jobs/${jobId}/cancel`))}>
            Cancel job
          </button>
        ) : null}
      </header>
      <ErrorBanner error={cancel.error ?? (streamError ? asApiError(streamError) : null)} />
      {state?.plan.length ? (
        <ol class="plan" aria-label="Plan">
          {state.plan.map((step) => <li key={step}>{step}</li>)}
        </ol>
      ) : null}
      <div class="stream-text" aria-live="polite" data-testid="job-text">{state?.text ?? ''}</div>
      {state?.toolCalls.length ? (
        <details open>
          <summary>Tool calls ({state.toolCalls.length})</summary>
          <ul class="plain">
            {state.toolCalls.map((call) => (
              <li key={call.callId}>
                <code>{call.name}</code> {call.ok === null ? '…' : call.ok ? '✓' : '✗'} <code class="muted">{JSON.stringify(call.arguments)}</code>
              </li>
            ))}
          </ul>
        </details>
      ) : null}
      {state?.files.length ? (
        <div>
          <h3>Files</h3>
          <ul class="plain" aria-label="Changed files">
            {state.files.map((file) => (
              <li key={file.path}>
                <Badge value={file.change} /> <code>{file.path}</code>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {state?.validation ? (
        <p>
          Validation: <Badge value={state.validation.status} /> {state.validation.errors.length ? `${state.validation.errors.length} error(s)` : null}
        </p>
      ) : null}
      {state?.steps.length ? (
        <div class="scroll">
        <table>
          <caption>Steps</caption>
          <thead>
            <tr><th scope="col">#</th><th scope="col">Kind</th><th scope="col">Name</th><th scope="col">Model</th><th scope="col">Status</th><th scope="col">Cost</th><th scope="col">ms</th></tr>
          </thead>
          <tbody>
            {state.steps.map((step) => (
              <tr key={step.index}><td>{step.index}</td><td>{step.kind}</td><td>{step.name}</td><td>{step.model ?? '—'}</td><td>{step.status}</td><td>{step.costUsd === null ? '—' : `$${step.costUsd.toFixed(4)}`}</td><td>{step.durationMs}</td></tr>
            ))}
          </tbody>
        </table>
        </div>
      ) : null}
      <p class="muted" data-testid="job-usage">
        Tokens: {state?.tokens.total ?? 0} ({state?.tokens.prompt ?? 0} in, {state?.tokens.completion ?? 0} out) · Cost: {state?.costUsd === null || !state ? '—' : `$${state.costUsd.toFixed(4)}`}
      </p>
      {state?.summary ? <p class="summary">{state.summary}</p> : null}
      {state?.error ? <ErrorBanner error={new ApiError({ status: 0, code: state.error.code, message: state.error.message })} /> : null}
      {state?.status === 'done' && state.versionId ? (
        <p>
          New version saved. <Link href={consolePath({ page: 'project', projectId, tab: 'versions' })}>Open versions</Link>
        </p>
      ) : null}
    </section>
  );
}
