import { randomBytes } from 'node:crypto';
import { ValidationError } from '../errors/validation-error.js';
import type { ProviderLogPage } from '../plugins/deployment-provider.js';

type LogEntry = ProviderLogPage['entries'][number];

/** A deployment's log as a provider keeps it in memory; see {@link createLogBuffer}. */
export interface LogBuffer {
  /** Appends one entry, stamped now; the oldest are dropped past `maxEntries`. */
  append(entry: Omit<LogEntry, 'timestamp'> & { timestamp?: string }): void;
  /** The entries after `cursor` (all kept ones for null) and the cursor to pass next. */
  page(cursor: string | null): ProviderLogPage;
}

/**
 * An in-memory deployment log with `getLogs` cursors, for providers that run deployments
 * themselves. Cursors count every entry ever appended (dropped ones too), so a reader never
 * gets an entry twice, and they name the process that made them: a cursor from before a
 * restart (another process, whose count this one never had) starts over from the first kept
 * entry instead of waiting for a count that never comes. A malformed cursor is a
 * `ValidationError`.
 */
export function createLogBuffer(options: { maxEntries: number }): LogBuffer {
  const entries: LogEntry[] = [];
  let dropped = 0;
  return {
    append(entry) {
      entries.push({ timestamp: entry.timestamp ?? new Date().toISOString(), level: entry.level, source: entry.source, message: entry.message });
      const excess = entries.length - options.maxEntries;
      if (excess > 0) {
        entries.splice(0, excess);
        dropped += excess;
      }
    },
    page(cursor) {
      let from = 0;
      if (cursor !== null) {
        const match = /^([0-9a-f]{8}):(\d+)$/.exec(cursor);
        if (!match) throw new ValidationError({ message: `Invalid log cursor ${JSON.stringify(cursor)}` });
        from = match[1] === processEpoch ? Number(match[2]) : 0;
      }
      const start = Math.max(0, from - dropped);
      return { entries: entries.slice(start).map((entry) => ({ ...entry })), cursor: `${processEpoch}:${dropped + entries.length}` };
    },
  };
}

/** Names this process in log cursors. */
const processEpoch = randomBytes(4).toString('hex');
