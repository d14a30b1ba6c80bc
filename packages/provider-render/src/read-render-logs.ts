import type { DeploymentLog, ProviderLogPage } from '@vector/core';
import type { RenderClient } from './render-client.js';
import type { RenderDeploy, RenderLog, RenderLogsResponse } from './render-types.js';

type LogEntry = Pick<DeploymentLog, 'timestamp' | 'level' | 'source' | 'message'>;

/** Where the previous page stopped: the last timestamp and the ids already returned at it. */
interface LogCursor {
  t: string;
  ids: string[];
}

const PAGE_SIZE = 100;
const MAX_PAGES_PER_CALL = 5;

function encodeCursor(cursor: LogCursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function decodeCursor(cursor: string | null): LogCursor | null {
  if (!cursor) return null;
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Partial<LogCursor>;
    if (typeof parsed.t === 'string' && Array.isArray(parsed.ids)) return { t: parsed.t, ids: parsed.ids.filter((id): id is string => typeof id === 'string') };
  } catch {
    // An unreadable cursor restarts from the deploy's beginning rather than failing the poll.
  }
  return null;
}

function label(log: RenderLog, name: string): string | undefined {
  return log.labels?.find((entry) => entry.name === name)?.value;
}

function toEntry(log: RenderLog): LogEntry {
  const level = (label(log, 'level') ?? 'info').toLowerCase();
  const type = label(log, 'type');
  return {
    timestamp: new Date(log.timestamp).toISOString(),
    level: level === 'error' || level === 'fatal' || level === 'critical' ? 'error' : level.startsWith('warn') ? 'warn' : level === 'debug' ? 'debug' : 'info',
    source: type === 'build' ? 'build' : 'runtime',
    message: log.message,
  };
}

/**
 * New log lines of one deploy. Render's log API has no deploy filter, so (like Render's CLI)
 * we read the service's logs over the deploy's time window, forward, continuing from the
 * cursor's timestamp and skipping ids already returned at that exact timestamp.
 */
export async function readRenderLogs(input: { client: RenderClient; ownerId: string; serviceId: string; deploy: RenderDeploy; cursor: string | null; now: Date }): Promise<ProviderLogPage> {
  const previous = decodeCursor(input.cursor);
  const seen = new Set(previous?.ids ?? []);
  let startTime = previous?.t ?? input.deploy.createdAt;
  // A live deploy keeps producing runtime output; a finished one stops at its end.
  let endTime = input.deploy.status === 'live' || !input.deploy.finishedAt ? input.now.toISOString() : input.deploy.finishedAt;
  if (Date.parse(endTime) < Date.parse(startTime)) return { entries: [], cursor: input.cursor };

  const logs: RenderLog[] = [];
  for (let page = 0; page < MAX_PAGES_PER_CALL; page += 1) {
    const { body } = await input.client.request<RenderLogsResponse>({
      method: 'GET',
      path: '/logs',
      query: { ownerId: input.ownerId, resource: [input.serviceId], startTime, endTime, direction: 'forward', limit: PAGE_SIZE },
    });
    let fresh = 0;
    for (const log of body.logs ?? []) {
      if (seen.has(log.id) || Date.parse(log.timestamp) < Date.parse(previous?.t ?? input.deploy.createdAt)) continue;
      seen.add(log.id);
      logs.push(log);
      fresh += 1;
    }
    // A page of only already-seen lines at the same start time would repeat forever.
    if (!body.hasMore || !body.nextStartTime || (fresh === 0 && body.nextStartTime === startTime)) break;
    startTime = body.nextStartTime;
    endTime = body.nextEndTime ?? endTime;
  }
  const last = logs.at(-1);
  if (!last) return { entries: [], cursor: input.cursor };
  const lastTime = Date.parse(last.timestamp);
  const idsAtLast = logs.filter((log) => Date.parse(log.timestamp) === lastTime).map((log) => log.id);
  const carried = previous && Date.parse(previous.t) === lastTime ? previous.ids : [];
  return { entries: logs.map(toEntry), cursor: encodeCursor({ t: last.timestamp, ids: [...new Set([...carried, ...idsAtLast])] }) };
}
