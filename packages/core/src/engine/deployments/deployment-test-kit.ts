// The fixture of the deployment tests (not part of the package: only tests import it): an engine
// on a frozen clock the test sets, with providers whose every answer the test scripts.
import { afterEach, beforeEach } from 'vitest';
import { defineDeploymentProvider } from '../../plugins/define-plugins.js';
import type { DeployInput, DeploymentProviderCapabilities, GetLogsInput, ProviderDeploymentInput, ProviderDeploymentState, ProviderLogPage } from '../../plugins/deployment-provider.js';
import { createMemoryStorage } from '../../reference/index.js';
import type { Actor } from '../../schemas/common.js';
import type { Deployment } from '../../schemas/deployment.js';
import { sampleFiles } from '../../testing/engine-fixture.js';
import type { TestDatabase } from '../../testing/test-databases.js';
import { createVector, type VectorOptions } from '../create-vector.js';
import type { Vector, VectorScope } from '../vector-types.js';

/** The frozen clock's start. */
export const T0 = Date.parse('2030-01-01T00:00:00.000Z');
/** The time `ms` after {@link T0}, as the engine writes it. */
export const at = (ms: number) => new Date(T0 + ms).toISOString();

/** A provider whose answers the test scripts (`control`), recording every call (`calls`). */
export function scriptedProvider(name: string, capabilities: Partial<DeploymentProviderCapabilities> = {}) {
  let counter = 0;
  const calls = { deploy: [] as DeployInput[], getStatus: [] as string[], getLogs: [] as GetLogsInput[], destroy: [] as string[] };
  const control = {
    deploy: async (_input: DeployInput, n: number): Promise<ProviderDeploymentState> => ({ providerDeploymentId: `${name}-${n}`, status: 'building', providerStatus: 'BUILDING', url: null }),
    getStatus: async ({ providerDeploymentId }: ProviderDeploymentInput): Promise<ProviderDeploymentState> => ({ providerDeploymentId, status: 'building', providerStatus: 'BUILDING', url: null }),
    getLogs: async (_input: GetLogsInput): Promise<ProviderLogPage> => ({ entries: [], cursor: null }),
    destroy: async (_input: ProviderDeploymentInput): Promise<void> => undefined,
  };
  const provider = defineDeploymentProvider({
    specificationVersion: 'v1',
    name,
    capabilities: { environments: ['preview', 'production'], sources: ['files'], logs: false, ...capabilities },
    deploy: async (input) => {
      counter += 1;
      calls.deploy.push(input);
      return control.deploy(input, counter);
    },
    getStatus: async (input) => {
      calls.getStatus.push(input.providerDeploymentId);
      return control.getStatus(input);
    },
    getLogs: async (input) => {
      calls.getLogs.push({ ...input });
      return control.getLogs(input);
    },
    getUrl: async () => null,
    destroy: async (input) => {
      calls.destroy.push(input.providerDeploymentId);
      return control.destroy(input);
    },
  });
  return { provider, calls, control };
}
export type Scripted = ReturnType<typeof scriptedProvider>;

/** A promise the test resolves (`release`) and one that says the held call was entered (`entered`). */
export function gate<T = void>() {
  let release: (value: T) => void = () => undefined;
  let enter: () => void = () => undefined;
  const held = new Promise<T>((resolve) => {
    release = resolve;
  });
  const entered = new Promise<void>((resolve) => {
    enter = resolve;
  });
  return { held, release, entered, enter };
}

/** A provider's answer: building. */
export const building = (providerDeploymentId: string, extra: Partial<ProviderDeploymentState> = {}): ProviderDeploymentState => ({ providerDeploymentId, status: 'building', providerStatus: 'BUILDING', url: null, ...extra });
/** A provider's answer: live, at `https://<id>.example`. */
export const live = (providerDeploymentId: string): ProviderDeploymentState => ({ providerDeploymentId, status: 'live', providerStatus: 'READY', url: `https://${providerDeploymentId}.example` });

/** What a test of {@link useDeploymentKit} works with. */
export interface DeploymentKit {
  vector: Vector;
  scope: VectorScope;
  actor: Actor;
  organizationId: string;
  /** A second organization's scope, for tenancy. */
  otherScope: VectorScope;
  clock: { ms: number };
  /** The first provider, `alpha`: previews and production, from files, no logs unless set. */
  alpha: Scripted;
  updates: Deployment[];
  warnings: Array<{ organizationId?: string; projectId?: string; code: string; message: string }>;
  project: { id: string; organizationId: string };
  v1: { id: string; storageRef: string };
  v2: { id: string; storageRef: string };
  /** The stored row, for the columns the API does not return (next poll, failures). */
  row(id: string): Promise<{ next_poll_at: string | null; poll_failures: number }>;
}

/** How {@link useDeploymentKit} sets up the engine. */
export interface DeploymentKitSetup<Extra extends string> {
  /** Capabilities of `alpha` beyond the defaults. */
  alpha?: Partial<DeploymentProviderCapabilities>;
  /** More scripted providers, by name, with their capabilities; the kit has each under its name. */
  extra?: Record<Extra, Partial<DeploymentProviderCapabilities>>;
  /** Engine options over the kit's (read per test, so a test may build them fresh). */
  options?: () => Partial<VectorOptions>;
}

/**
 * Before each test: an engine (API role only: nothing polls or reaps unless the test asks) on
 * `database`, with organization Acme, its project Site with versions v1 and v2, and a second
 * organization; after each, disposed. Returns the current test's kit.
 */
export function useDeploymentKit<Extra extends string = never>(database: TestDatabase, setup: DeploymentKitSetup<Extra> = {}): () => DeploymentKit & Record<Extra, Scripted> {
  let kit: (DeploymentKit & Record<Extra, Scripted>) | null = null;
  let cleanup: Array<() => Promise<void>> = [];
  beforeEach(async () => {
    const connection = await database.create();
    const clock = { ms: T0 };
    const alpha = scriptedProvider('alpha', setup.alpha);
    const extra = Object.fromEntries(Object.entries<Partial<DeploymentProviderCapabilities>>(setup.extra ?? {}).map(([name, capabilities]) => [name, scriptedProvider(name, capabilities)])) as Record<Extra, Scripted>;
    const vector = createVector({
      database: connection,
      storage: [createMemoryStorage()],
      providers: [alpha.provider, ...Object.values<Scripted>(extra).map((scripted) => scripted.provider)],
      roles: ['api'],
      deploymentPollIntervalMs: 100,
      deploymentMaxPollIntervalMs: 30_000,
      deploymentMaxPollFailures: 3,
      now: () => new Date(clock.ms),
      ...setup.options?.(),
    });
    cleanup = [() => vector.dispose(), () => connection.destroy()];
    await vector.start();
    const actor: Actor = { type: 'user', id: 'user-1' };
    const organization = await vector.organizations.create({ name: 'Acme' }, actor);
    const scope = vector.scope({ organizationId: organization.id, actor });
    const other = await vector.organizations.create({ name: 'Other' }, { type: 'user', id: 'user-2' });
    const project = await scope.projects.create({ name: 'Site' });
    const v1 = await scope.versions.create({ projectId: project.id, parentVersionId: null, files: sampleFiles('first'), message: 'v1' });
    const v2 = await scope.versions.create({ projectId: project.id, parentVersionId: v1.id, files: sampleFiles('second'), message: 'v2' });
    const updates: Deployment[] = [];
    const warnings: DeploymentKit['warnings'] = [];
    vector.events.on('deployment.updated', (payload) => updates.push(payload.deployment));
    vector.events.on('warning', (payload) => warnings.push(payload));
    kit = {
      ...extra,
      vector,
      scope,
      actor,
      organizationId: organization.id,
      otherScope: vector.scope({ organizationId: other.id, actor: { type: 'user', id: 'user-2' } }),
      clock,
      alpha,
      updates,
      warnings,
      project,
      v1,
      v2,
      row: async (id) => {
        const row = await vector.db.selectFrom('vector_deployments').select(['next_poll_at', 'poll_failures']).where('id', '=', id).executeTakeFirstOrThrow();
        return { next_poll_at: row.next_poll_at, poll_failures: Number(row.poll_failures) };
      },
    };
  });
  afterEach(async () => {
    for (const step of cleanup) await step();
    cleanup = [];
    kit = null;
  });
  return () => {
    if (!kit) throw new Error('only inside a test');
    return kit;
  };
}
