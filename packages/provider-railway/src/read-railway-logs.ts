import type { ProviderLogPage } from '@vector/core';
import { decodeLogCursor, encodeLogCursor, linesAfter, timestampKey, type RailwayLogCursor } from './railway-log-cursor.js';
import type { RailwayApi } from './railway-api.js';
import type { RailwayLog } from './railway-types.js';

type Entry = ProviderLogPage['entries'][number];
type Stream = 'buildLogs' | 'deploymentLogs';
type KeyedLog = RailwayLog & { key: string };

function levelOf(severity: string | null): Entry['level'] {
  const value = (severity ?? '').toLowerCase();
  if (value.startsWith('err') || value === 'fatal' || value === 'crit') return 'error';
  if (value.startsWith('warn')) return 'warn';
  if (value === 'debug' || value === 'trace') return 'debug';
  return 'info';
}

interface StreamRead {
  lines: KeyedLog[];
  position: RailwayLogCursor['build'];
  /** Older lines could not be fetched within the page budget. */
  skipped: boolean;
}

/**
 * Reads one stream from `position` on. Railway answers with the newest `limit` lines of the
 * window, so a full page means older lines are missing: the window's end moves back to the
 * page's oldest line until a page comes back short, and the pages are merged. Lines sharing
 * the boundary timestamp appear in two pages; per timestamp the larger group is kept, which
 * is right whether Railway's `endDate` is inclusive or not.
 */
async function readStream(input: { api: RailwayApi; stream: Stream; deploymentId: string; limit: number; maxPages: number; position: RailwayLogCursor['build'] }): Promise<StreamRead> {
  const startDate = input.position?.at ?? null;
  const groups = new Map<string, KeyedLog[]>();
  let endDate: string | null = null;
  let skipped = true;
  for (let page = 0; page < input.maxPages; page += 1) {
    const raw = await input.api.logs(input.stream, { deploymentId: input.deploymentId, limit: input.limit, startDate, endDate });
    const byKey = new Map<string, KeyedLog[]>();
    for (const line of raw) {
      const key = timestampKey(line.timestamp);
      byKey.set(key, [...(byKey.get(key) ?? []), { ...line, key }]);
    }
    for (const [key, lines] of byKey) if ((groups.get(key)?.length ?? 0) < lines.length) groups.set(key, lines);
    if (raw.length < input.limit) {
      skipped = false;
      break;
    }
    const oldest = [...byKey.keys()].sort()[0];
    // The window cannot shrink (one timestamp fills a page, or the end was ignored): stop.
    if (oldest === undefined || (startDate !== null && oldest <= startDate) || (endDate !== null && oldest >= endDate)) break;
    endDate = oldest;
  }
  const { lines, position } = linesAfter([...groups.values()].flat(), input.position);
  return { lines, position, skipped: skipped && lines.length > 0 };
}

/**
 * Reads build and runtime logs newer than `cursor`. Each stream is asked from its last seen
 * timestamp on; lines already returned at that exact timestamp are skipped. When more lines
 * arrived than `maxPages` pages hold, the oldest are skipped and a `warn` entry says so.
 */
export async function readRailwayLogs(input: { api: RailwayApi; deploymentId: string; cursor: string | null; limit: number; maxPages: number }): Promise<ProviderLogPage> {
  const cursor = decodeLogCursor(input.cursor);
  const read = (stream: Stream, position: RailwayLogCursor['build']) => readStream({ ...input, stream, position });
  const build = await read('buildLogs', cursor.build);
  const runtime = await read('deploymentLogs', cursor.runtime);
  const timestampOf = (key: string) => `${key.slice(0, 23)}Z`;
  const toEntries = (source: Entry['source'], result: StreamRead): Entry[] => {
    const entries = result.lines.map((line): Entry => ({ timestamp: timestampOf(line.key), level: levelOf(line.severity), source, message: line.message }));
    const first = result.lines[0];
    if (!result.skipped || !first) return entries;
    const notice: Entry = { timestamp: timestampOf(first.key), level: 'warn', source, message: `Vector: more ${source} log lines arrived since the last read than ${input.maxPages} pages of ${input.limit} hold; older lines were skipped` };
    return [notice, ...entries];
  };
  const entries = [...toEntries('build', build), ...toEntries('runtime', runtime)];
  if (entries.length === 0) return { entries, cursor: input.cursor };
  return { entries, cursor: encodeLogCursor({ build: build.position, runtime: runtime.position }) };
}
