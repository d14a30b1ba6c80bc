import type { ApiClient } from '../src/lib/api-client';
import { applyJobEvent, initialJobStreamState, isTerminal, type JobEvent, jobEventTypes, jobEventsUrl, type JobStreamState } from '../src/lib/job-stream-state';

/** What {@link followJob} reports as the connection changes. */
export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'closed';

/**
 * Follows a job's events the way an embedding product would: a stream token from
 * `POST /v1/jobs/:id/stream-token`, then `EventSource` on `/v1/jobs/:id/events?access_token=`.
 * A dropped connection is resumed by the browser with `Last-Event-ID`; when the browser gives up
 * (the token expired, the server answered an error) a new token is asked for and the stream
 * reopened with `?lastEventId=` at the last event folded in. Events already folded are ignored,
 * so no text is ever repeated. Answers a function that stops following.
 */
export function followJob(input: {
  api: ApiClient;
  baseUrl: string;
  jobId: string;
  onState: (state: JobStreamState) => void;
  onConnection: (state: ConnectionState) => void;
  onError: (error: unknown) => void;
}): () => void {
  let state = initialJobStreamState();
  let source: EventSource | null = null;
  let stopped = false;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;

  const stop = () => {
    stopped = true;
    clearTimeout(retryTimer);
    source?.close();
    source = null;
    input.onConnection('closed');
  };

  const open = async () => {
    if (stopped) return;
    input.onConnection(state.lastSequence === 0 ? 'connecting' : 'reconnecting');
    let token: string;
    try {
      token = (await input.api.request<{ token: string }>('POST', `/v1/jobs/${encodeURIComponent(input.jobId)}/stream-token`)).token;
    } catch (error) {
      input.onError(error);
      retryTimer = setTimeout(() => void open(), 3_000);
      return;
    }
    if (stopped) return;
    const current = new EventSource(jobEventsUrl({ baseUrl: input.baseUrl, jobId: input.jobId, token, lastSequence: state.lastSequence }));
    source = current;
    current.onopen = () => input.onConnection('live');
    const onEvent = (message: MessageEvent<string>) => {
      const event = JSON.parse(message.data) as JobEvent;
      state = applyJobEvent(state, event);
      input.onState(state);
      if (isTerminal(state)) stop();
    };
    for (const type of jobEventTypes) current.addEventListener(type, onEvent as EventListener);
    current.addEventListener('error', (event) => {
      // A named `error` event is the server telling why it ends the stream; a plain one is the connection.
      if (event instanceof MessageEvent && typeof event.data === 'string') {
        try {
          input.onError(new Error((JSON.parse(event.data) as { error: { message: string } }).error.message));
        } catch {
          /* not the server's shape: the connection state below tells enough */
        }
      }
      if (stopped || source !== current) return;
      if (current.readyState === EventSource.CONNECTING) {
        // The browser reconnects by itself and sends Last-Event-ID.
        input.onConnection('reconnecting');
        return;
      }
      // Closed for good by the browser: reopen with a fresh token from where we are.
      current.close();
      input.onConnection('reconnecting');
      retryTimer = setTimeout(() => void open(), 1_000);
    });
  };

  void open();
  return stop;
}
