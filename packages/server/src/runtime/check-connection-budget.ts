import type { ConnectionPools } from '../load-config.js';

/** One pool of a process's PostgreSQL connections. */
export interface PoolBudget {
  /** The `application_name` its connections carry, e.g. `vector-queue worker host:4242:9f1c`. */
  applicationName: string;
  /** The most pooled connections. */
  pooled: number;
  /** Dedicated LISTEN connections beside the pool (0 or 1). */
  listeners: number;
}

/** The PostgreSQL connections one process may hold, by pool. */
export interface ConnectionBudget {
  /** The suffix every `application_name` of this process carries. */
  instance: string;
  engine: PoolBudget;
  queue: PoolBudget;
  events: PoolBudget;
  /** The most connections the process holds at once: every pool full, plus the listeners. */
  total: number;
}

/** What the server accepts, read at start by {@link checkConnectionBudget}. */
export interface ServerConnectionLimits {
  /** `max_connections`. */
  maxConnections: number;
  /** Slots kept for superusers and reserved roles (`superuser_reserved_connections` + `reserved_connections`). */
  reserved: number;
  /** Client connections open before this process started (the check's own not counted). */
  inUse: number;
}

/**
 * The budget of a process with these pool sizes: each pool's maximum, plus the LISTEN
 * connections of the event bridge and (on processes that run jobs) of the queue.
 */
export function connectionBudgetFor(input: { pools: ConnectionPools; runsJobs: boolean; instance: string }): ConnectionBudget {
  const pool = (name: string, pooled: number, listeners: number): PoolBudget => ({ applicationName: `vector-${name} ${input.instance}`.slice(0, 63), pooled, listeners });
  const engine = pool('engine', input.pools.engine, 0);
  const queue = pool('queue', input.pools.queue, input.runsJobs ? 1 : 0);
  const events = pool('events', input.pools.events, 1);
  const total = [engine, queue, events].reduce((sum, entry) => sum + entry.pooled + entry.listeners, 0);
  return { instance: input.instance, engine, queue, events, total };
}

/**
 * Reads `max_connections`, the reserved slots and the connections already open, and warns when
 * this process's budget cannot fit: more than the server ever accepts, or more than it has
 * left now. Several processes fit when `processes × budget.total ≤ max_connections − reserved`
 * (less what other clients hold). Connection errors are not caught: the start fails with them.
 */
export async function checkConnectionBudget(input: { connectionString: string; budget: ConnectionBudget; warn(message: string): void }): Promise<ServerConnectionLimits> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: input.connectionString, application_name: `vector-start ${input.budget.instance}`.slice(0, 63) });
  // A connection lost after the query would be reported here; unhandled, it would crash the process.
  client.on('error', () => undefined);
  let limits: ServerConnectionLimits;
  try {
    await client.connect();
    const { rows } = await client.query<{ max_connections: number; reserved: number; in_use: number }>(
      `select current_setting('max_connections')::int as max_connections,
        current_setting('superuser_reserved_connections')::int
          + coalesce(nullif(current_setting('reserved_connections', true), ''), '0')::int as reserved,
        (select count(*) from pg_stat_activity where backend_type = 'client backend' and pid <> pg_backend_pid())::int as in_use`,
    );
    const row = rows[0] as { max_connections: number; reserved: number; in_use: number };
    limits = { maxConnections: row.max_connections, reserved: row.reserved, inUse: row.in_use };
  } finally {
    await client.end().catch(() => undefined);
  }
  const { budget } = input;
  const accepted = limits.maxConnections - limits.reserved;
  const pools = `engine ${budget.engine.pooled}, queue ${budget.queue.pooled}${budget.queue.listeners ? ' + 1 listener' : ''}, events ${budget.events.pooled} + 1 listener`;
  const fix = 'lower DATABASE_POOL_MAX, VECTOR_QUEUE_POOL_MAX or VECTOR_EVENTS_POOL_MAX, or raise max_connections';
  if (budget.total > accepted) {
    input.warn(`This process may open ${budget.total} PostgreSQL connections (${pools}) but the server accepts ${accepted} (max_connections ${limits.maxConnections} less ${limits.reserved} reserved): ${fix}`);
  } else if (budget.total > accepted - limits.inUse) {
    input.warn(
      `This process may open ${budget.total} PostgreSQL connections (${pools}); ${limits.inUse} are open already and the server accepts ${accepted} ` +
        `(max_connections ${limits.maxConnections} less ${limits.reserved} reserved), so it may refuse some ("too many clients"): ${fix}. ` +
        `Processes fit while processes × ${budget.total} ≤ ${accepted}`,
    );
  }
  return limits;
}
