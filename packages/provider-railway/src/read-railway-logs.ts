import type { ProviderLogPage } from '@vector/core';
import { decodeLogCursor, encodeLogCursor, linesAfter, timestampKey, type RailwayLogCursor } from './railway-log-cursor.js';
import type { RailwayLog, RailwayOperations } from './railway-operations.js';

type Entry = ProviderLogPage['entries'][number];

function levelOf(severity: string | null): Entry['level'] {
  const value = (severity ?? '').toLowerCase();
  if (value.startsWith('err') || value === 'fatal' || value === 'crit') return 'error';
  if (value.startsWith('warn')) return 'warn';
  if (value === 'debug' || value === 'trace') return 'debug';
  return 'info';
}

/**
 * Reads build and runtime logs newer than `cursor`. Each stream is asked from its last seen
 * timestamp on; lines already returned at that exact timestamp are skipped.
 */
export async function readRailwayLogs(input: { operations: RailwayOperations; deploymentId: string; cursor: string | null; limit: number }): Promise<ProviderLogPage> {
  const cursor = decodeLogCursor(input.cursor);
  const read = async (stream: 'buildLogs' | 'deploymentLogs', position: RailwayLogCursor['build']) => {
    const raw = await input.operations.logs(stream, { deploymentId: input.deploymentId, limit: input.limit, startDate: position?.at ?? null });
    return linesAfter(raw.map((line: RailwayLog) => ({ ...line, key: timestampKey(line.timestamp) })), position);
  };
  const build = await read('buildLogs', cursor.build);
  const runtime = await read('deploymentLogs', cursor.runtime);
  const toEntry = (source: Entry['source']) => (line: RailwayLog & { key: string }): Entry => ({
    timestamp: `${line.key.slice(0, 23)}Z`,
    level: levelOf(line.severity),
    source,
    message: line.message,
  });
  const entries = [...build.lines.map(toEntry('build')), ...runtime.lines.map(toEntry('runtime'))];
  if (entries.length === 0) return { entries, cursor: input.cursor };
  return { entries, cursor: encodeLogCursor({ build: build.position, runtime: runtime.position }) };
}
