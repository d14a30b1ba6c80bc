import { randomUUID } from 'node:crypto';
import { type AgentJobEvent, createEventBus, type Deployment, ValidationError, type Vector, type VectorEventBus, type VectorEvents } from '@vector/core';
import type pg from 'pg';

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

/** A bus bridged over PostgreSQL LISTEN/NOTIFY; pass it to `createVector({ events })`. */
export interface PostgresEventBridge {
  events: VectorEventBus;
  /** Connects the listener; call `attach(vector)` so oversize events can be re-read. */
  start(): Promise<void>;
  attach(vector: Vector): void;
  close(): Promise<void>;
}

/**
 * Bridges the engine's event bus across processes: events emitted here are delivered locally
 * and sent with `pg_notify`; events from other processes are re-emitted on the local bus only
 * (never re-sent). SSE streams on any process thus see jobs run by any other.
 */
export function createPostgresEventBridge(options: { connectionString: string; channel?: string }): PostgresEventBridge {
  const channel = options.channel ?? 'vector_events';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(channel)) throw new ValidationError({ message: 'The event channel must be a lower-case SQL identifier', issues: [{ path: ['channel'], message: 'invalid' }] });
  const origin = randomUUID();
  const local = createEventBus();
  let vector: Vector | null = null;
  let listener: pg.Client | null = null;
  let publisher: pg.Pool | null = null;

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
    publisher.query('select pg_notify($1, $2)', [channel, payload]).catch(() => undefined);
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
    async start() {
      const { default: pgModule } = await import('pg');
      publisher = new pgModule.Pool({ connectionString: options.connectionString, max: 2 });
      listener = new pgModule.Client({ connectionString: options.connectionString });
      listener.on('error', () => undefined);
      await listener.connect();
      listener.on('notification', (message) => {
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
      });
      await listener.query(`LISTEN ${channel}`);
    },
    async close() {
      await listener?.end().catch(() => undefined);
      await publisher?.end().catch(() => undefined);
      listener = null;
      publisher = null;
    },
  };
}
