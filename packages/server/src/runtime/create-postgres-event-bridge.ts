import { randomUUID } from 'node:crypto';
import { type AgentJobEvent, createEventBus, type Deployment, errorMessage, ValidationError, type Vector, type VectorEventBus, type VectorEvents } from '@vector/core';
import type pg from 'pg';
import type { EventFeed } from '../sse/event-feed.js';

/** Events that cross processes; the rest stay local. */
const bridged = ['job.event', 'job.updated', 'deployment.updated', 'deployment.log', 'version.created', 'project.updated'] as const;
type BridgedType = (typeof bridged)[number];
// NOTIFY payloads must stay under 8000 bytes; larger events travel as a reference.
const maxPayloadBytes = 7500;

interface Envelope {
  origin: string;
  type: BridgedType;
  event?: unknown;
  ref?: { organizationId: string; projectId: string; jobId?: string; sequence?: number; deploymentId?: string };
}

/** Options of {@link createPostgresEventBridge}. */
export interface PostgresEventBridgeOptions {
  connectionString: string;
  /** NOTIFY channel, a lower-case SQL identifier. Default `vector_events`. */
  channel?: string;
  /** Where connection trouble is reported (messages never carry the connection string). Default: dropped. */
  log?: { warn(message: string): void };
  /** First delay before re-establishing a lost LISTEN connection; doubles per failure. Default 250 ms. */
  reconnectDelayMs?: number;
  /** Longest delay between reconnection attempts. Default 10 s. */
  maxReconnectDelayMs?: number;
  /** The most pooled connections `pg_notify` is sent on (1–200); the LISTEN connection comes on top. Default 2. */
  maxConnections?: number;
  /** `application_name` of the bridge's connections (publisher pool and listener). Default: the driver's (none). */
  applicationName?: string;
}

/** A bus bridged over PostgreSQL LISTEN/NOTIFY; pass it to `createVector({ events })`. */
export interface PostgresEventBridge extends EventFeed {
  events: VectorEventBus;
  /** Connects the listener (rejects when the first connection fails); call `attach(vector)` so oversize events can be re-read. */
  start(): Promise<void>;
  attach(vector: Vector): void;
  close(): Promise<void>;
}

/**
 * Bridges the engine's event bus across processes: events emitted here are delivered locally
 * and sent with `pg_notify`; events from other processes are re-emitted on the local bus only
 * (never re-sent). SSE streams on any process thus see jobs run by any other.
 *
 * NOTIFY is fire-and-forget: while the LISTEN connection is down, other processes' events are
 * lost. The bridge then reports itself unhealthy, reconnects with exponential backoff, LISTENs
 * again and signals a resync, so consumers re-read from the database what they may have missed.
 */
export function createPostgresEventBridge(options: PostgresEventBridgeOptions): PostgresEventBridge {
  const channel = options.channel ?? 'vector_events';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(channel)) throw new ValidationError({ message: 'The event channel must be a lower-case SQL identifier', issues: [{ path: ['channel'], message: 'invalid' }] });
  const maxConnections = options.maxConnections ?? 2;
  if (!Number.isInteger(maxConnections) || maxConnections < 1 || maxConnections > 200) {
    throw new ValidationError({ message: 'The event bridge needs 1 to 200 publisher connections', issues: [{ path: ['maxConnections'], message: 'expected an integer from 1 to 200' }] });
  }
  const connection = { connectionString: options.connectionString, ...(options.applicationName ? { application_name: options.applicationName } : {}) };
  const origin = randomUUID();
  const local = createEventBus();
  const warn = (message: string) => options.log?.warn(`event bridge (${channel}): ${message}`);
  const firstDelay = options.reconnectDelayMs ?? 250;
  const maxDelay = options.maxReconnectDelayMs ?? 10_000;
  const resyncListeners = new Set<() => void>();
  let vector: Vector | null = null;
  let pgModule: typeof pg | null = null;
  let listener: pg.Client | null = null;
  let publisher: pg.Pool | null = null;
  let closed = false;
  let failures = 0;
  let reconnectTimer: NodeJS.Timeout | null = null;

  const publish = (type: BridgedType, event: VectorEvents[BridgedType]) => {
    if (!publisher) return;
    let payload = JSON.stringify({ origin, type, event } satisfies Envelope);
    if (Buffer.byteLength(payload) > maxPayloadBytes) {
      const scoped = event as { organizationId: string; projectId: string; jobId?: string; event?: AgentJobEvent; deployment?: Deployment; deploymentId?: string };
      const ref: NonNullable<Envelope['ref']> = { organizationId: scoped.organizationId, projectId: scoped.projectId };
      if (type === 'job.event' && scoped.jobId && scoped.event) Object.assign(ref, { jobId: scoped.jobId, sequence: scoped.event.sequence });
      else if (type === 'deployment.updated' && scoped.deployment) Object.assign(ref, { deploymentId: scoped.deployment.id });
      else return; // other oversize events are not worth a round trip; consumers re-read on the next one
      payload = JSON.stringify({ origin, type, ref } satisfies Envelope);
    }
    const pool = publisher;
    const send = () => pool.query('select pg_notify($1, $2)', [channel, payload]);
    // One retry: a pooled connection the server dropped fails once, then the pool opens a new one.
    send()
      .catch(() => (closed ? undefined : send()))
      .catch((error: unknown) => warn(`an event could not be published (${describe(error)}); other processes may miss it`));
  };

  const resolve = async (envelope: Envelope): Promise<unknown> => {
    if (envelope.event !== undefined) return envelope.event;
    const ref = envelope.ref;
    if (!ref || !vector) return null;
    const scope = vector.scope({ organizationId: ref.organizationId, actor: { type: 'system', id: 'event-bridge' } });
    if (envelope.type === 'job.event' && ref.jobId && ref.sequence) {
      const [event] = await scope.agent.listJobEvents(ref.jobId, { afterSequence: ref.sequence - 1, limit: 1 });
      return event ? { organizationId: ref.organizationId, projectId: ref.projectId, jobId: ref.jobId, event } : null;
    }
    if (envelope.type === 'deployment.updated' && ref.deploymentId) {
      return { organizationId: ref.organizationId, projectId: ref.projectId, deployment: await scope.deployments.get(ref.deploymentId) };
    }
    return null;
  };

  const onNotification = (message: pg.Notification) => {
    if (message.channel !== channel || !message.payload) return;
    let envelope: Envelope;
    try {
      envelope = JSON.parse(message.payload) as Envelope;
    } catch {
      return;
    }
    if (envelope.origin === origin || !(bridged as readonly string[]).includes(envelope.type)) return;
    void resolve(envelope)
      .then((event) => {
        if (event) local.emit(envelope.type, event as never);
      })
      .catch(() => undefined);
  };

  const connectListener = async (module: typeof pg): Promise<void> => {
    const client = new module.Client(connection);
    // Registered before connecting: a connection error without a listener would crash the process.
    client.on('error', (error) => lose(client, `the LISTEN connection failed (${describe(error)})`));
    client.on('end', () => lose(client, 'the LISTEN connection ended'));
    client.on('notification', onNotification);
    try {
      await client.connect();
      await client.query(`LISTEN ${channel}`);
    } catch (error) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      throw error;
    }
    if (closed) {
      await client.end().catch(() => undefined);
      return;
    }
    listener = client;
  };

  // Only the current listener's trouble counts; the first report schedules the reconnection.
  function lose(client: pg.Client, reason: string): void {
    if (listener !== client) return;
    listener = null;
    client.removeAllListeners('notification');
    void client.end().catch(() => undefined);
    if (closed) return;
    warn(`${reason}; reconnecting`);
    scheduleReconnect();
  }

  function scheduleReconnect(): void {
    if (closed || reconnectTimer || !pgModule) return;
    const module = pgModule;
    const delay = Math.min(maxDelay, firstDelay * 2 ** Math.min(failures, 20));
    reconnectTimer = setTimeout(() => {
      reconnectTimer = null;
      connectListener(module).then(
        () => {
          if (closed || !listener) return;
          failures = 0;
          warn('the LISTEN connection is back; consumers resync from the database');
          for (const resync of [...resyncListeners]) resync();
        },
        (error: unknown) => {
          failures += 1;
          warn(`reconnecting failed (${describe(error)}); retrying`);
          scheduleReconnect();
        },
      );
    }, delay);
    reconnectTimer.unref?.();
  }

  const events: VectorEventBus = {
    all: local.all,
    on: local.on,
    off: local.off,
    emit(type: keyof VectorEvents, event?: unknown) {
      local.emit(type, event as never);
      if ((bridged as readonly string[]).includes(type as string)) publish(type as BridgedType, event as VectorEvents[BridgedType]);
    },
  } as VectorEventBus;

  return {
    events,
    attach(engine) {
      vector = engine;
    },
    isHealthy: () => listener !== null,
    onResync(resync) {
      resyncListeners.add(resync);
      return () => resyncListeners.delete(resync);
    },
    async start() {
      const { default: module } = await import('pg');
      pgModule = module;
      closed = false;
      publisher = new module.Pool({ ...connection, max: maxConnections });
      // An idle pooled connection the server terminates is reported here; unhandled, it would crash the process.
      publisher.on('error', (error) => warn(`a publisher connection failed (${describe(error)})`));
      await connectListener(module);
    },
    async close() {
      closed = true;
      if (reconnectTimer) clearTimeout(reconnectTimer);
      reconnectTimer = null;
      const client = listener;
      listener = null;
      client?.removeAllListeners('end');
      await client?.end().catch(() => undefined);
      await publisher?.end().catch(() => undefined);
      publisher = null;
      resyncListeners.clear();
    },
  };
}

// Driver messages name hosts and roles at most; the connection string itself never reaches them.
const describe = errorMessage;
