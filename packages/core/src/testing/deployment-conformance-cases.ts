import { randomBytes, randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { VectorError } from '../errors/vector-error.js';
import { encodeText } from '../files/content.js';
import type { DeploymentProvider, DeploymentSource, ProviderDeploymentState, ProviderLogPage } from '../plugins/deployment-provider.js';
import { deploymentEnvironmentSchema, deploymentLogSchema, deploymentStatusSchema, type DeploymentEnvironment } from '../schemas/deployment.js';
import type { ConformanceCase } from './conformance-suite.js';

/** What each deployment test receives. */
export interface DeploymentSubject {
  provider: DeploymentProvider;
  settings: { timeoutMs: number; pollIntervalMs: number; checkUrl: boolean };
}

type DeployInput = Parameters<DeploymentProvider['deploy']>[0];

const logEntrySchema = deploymentLogSchema.pick({ timestamp: true, level: true, source: true, message: true });

/** A source with a plausible GitHub commit and an `index.html` carrying `marker`. */
function conformanceSource(marker: string): DeploymentSource {
  return {
    git: {
      repositoryUrl: 'https://github.com/vector-conformance/site',
      owner: 'vector-conformance',
      repository: 'site',
      branch: 'main',
      commitSha: randomBytes(20).toString('hex'),
    },
    getFiles: async () => [
      { path: 'index.html', content: encodeText(`<!doctype html>\n<title>Conformance</title>\n<h1>${marker}</h1>\n<script src="assets/app.js"></script>\n`) },
      { path: 'assets/app.js', content: encodeText(`console.log(${JSON.stringify(marker)});\n`) },
    ],
  };
}

function deployInput(options: { environment?: DeploymentEnvironment; idempotencyKey?: string; secrets?: Record<string, string> } = {}): { input: DeployInput; marker: string } {
  const marker = `vector-conformance-${randomBytes(8).toString('hex')}`;
  const source = conformanceSource(marker);
  return {
    marker,
    input: {
      deploymentId: randomUUID(),
      idempotencyKey: options.idempotencyKey ?? randomUUID(),
      project: { id: `project-${randomBytes(4).toString('hex')}`, organizationId: 'conformance-organization', name: 'Conformance site' },
      version: { id: randomUUID(), number: 1, storageRef: source.git?.commitSha ?? 'ref' },
      environment: options.environment ?? 'preview',
      source,
      env: { PUBLIC_MODE: 'conformance' },
      secrets: options.secrets ?? {},
    },
  };
}

function expectValidState(state: ProviderDeploymentState): void {
  expect(typeof state.providerDeploymentId).toBe('string');
  expect(state.providerDeploymentId.length).toBeGreaterThan(0);
  expect(deploymentStatusSchema.options).toContain(state.status);
  expect(typeof state.providerStatus).toBe('string');
  expect(state.url === null || typeof state.url === 'string').toBe(true);
  if (state.error !== undefined) expect(state.error).toMatchObject({ code: expect.any(String), message: expect.any(String) });
}

/** Polls `getStatus` until `live`; fails on `failed`/`destroyed` or after the timeout. */
async function waitForLive(subject: DeploymentSubject, providerDeploymentId: string, seen: ProviderDeploymentState[] = []): Promise<ProviderDeploymentState> {
  const deadline = Date.now() + subject.settings.timeoutMs;
  while (true) {
    const state = await subject.provider.getStatus({ providerDeploymentId });
    seen.push(state);
    expectValidState(state);
    expect(state.providerDeploymentId).toBe(providerDeploymentId);
    if (state.status === 'live') return state;
    if (state.status === 'failed' || state.status === 'destroyed') {
      throw new Error(`deployment ${providerDeploymentId} ended ${state.status} instead of live: ${JSON.stringify(state.error ?? null)}`);
    }
    if (Date.now() > deadline) throw new Error(`deployment ${providerDeploymentId} was still ${state.status} after ${subject.settings.timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, subject.settings.pollIntervalMs));
  }
}

async function deployAndWait(subject: DeploymentSubject, environment: DeploymentEnvironment): Promise<{ state: ProviderDeploymentState; marker: string }> {
  const { input, marker } = deployInput({ environment });
  const deployed = await subject.provider.deploy(input);
  expectValidState(deployed);
  const state = await waitForLive(subject, deployed.providerDeploymentId);
  expect(state.url, 'a live deployment has a url').not.toBeNull();
  expect(await subject.provider.getUrl({ providerDeploymentId: deployed.providerDeploymentId })).toBe(state.url);
  if (subject.settings.checkUrl) {
    const response = await fetch(state.url as string);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain(marker);
  }
  return { state, marker };
}

const requiresEnvironment = (environment: DeploymentEnvironment) => (subject: DeploymentSubject) =>
  subject.provider.capabilities.environments.includes(environment) ? null : `the provider does not offer ${environment}`;

/** The deployment conformance tests, in the order they are declared. */
export const deploymentConformanceCases: ReadonlyArray<ConformanceCase<DeploymentSubject>> = [
  {
    name: 'deploys a preview that goes live with a url',
    requires: requiresEnvironment('preview'),
    async run(subject) {
      for (const environment of subject.provider.capabilities.environments) deploymentEnvironmentSchema.parse(environment);
      await deployAndWait(subject, 'preview');
    },
  },
  {
    name: 'deploys to production',
    requires: requiresEnvironment('production'),
    async run(subject) {
      await deployAndWait(subject, 'production');
    },
  },
  {
    name: 'returns only newer log entries for a cursor',
    requires: (subject) => (subject.provider.capabilities.logs ? null : 'the provider does not declare logs'),
    async run(subject) {
      const { state } = await deployAndWait(subject, subject.provider.capabilities.environments[0] ?? 'preview');
      const id = state.providerDeploymentId;
      const first = await subject.provider.getLogs({ providerDeploymentId: id, cursor: null });
      for (const entry of first.entries) logEntrySchema.parse(entry);
      expect(first.entries.length, 'a live deployment has build or deploy logs').toBeGreaterThan(0);
      if (first.cursor === null) return;
      if (subject.settings.checkUrl && state.url) await fetch(state.url).then((response) => response.arrayBuffer());
      const seen = new Set(first.entries.map((entry) => JSON.stringify(entry)));
      const second = await subject.provider.getLogs({ providerDeploymentId: id, cursor: first.cursor });
      for (const entry of second.entries) {
        logEntrySchema.parse(entry);
        expect(seen.has(JSON.stringify(entry)), `entry returned again after its cursor: ${entry.message}`).toBe(false);
        seen.add(JSON.stringify(entry));
      }
      const third = await subject.provider.getLogs({ providerDeploymentId: id, cursor: second.cursor ?? first.cursor });
      for (const entry of third.entries) expect(seen.has(JSON.stringify(entry)), `entry returned again after its cursor: ${entry.message}`).toBe(false);
    },
  },
  {
    name: 'returns the same deployment for a repeated idempotency key',
    async run(subject) {
      const environment = subject.provider.capabilities.environments[0] ?? 'preview';
      const { input } = deployInput({ environment });
      const first = await subject.provider.deploy(input);
      const again = await subject.provider.deploy(input);
      expectValidState(again);
      expect(again.providerDeploymentId).toBe(first.providerDeploymentId);
      const other = await subject.provider.deploy(deployInput({ environment }).input);
      expect(other.providerDeploymentId, 'a new idempotency key creates a new deployment').not.toBe(first.providerDeploymentId);
      await waitForLive(subject, first.providerDeploymentId);
    },
  },
  {
    name: 'destroys a deployment idempotently',
    async run(subject) {
      const { state } = await deployAndWait(subject, subject.provider.capabilities.environments[0] ?? 'preview');
      const id = state.providerDeploymentId;
      await subject.provider.destroy({ providerDeploymentId: id });
      const destroyed = await subject.provider.getStatus({ providerDeploymentId: id });
      expectValidState(destroyed);
      expect(destroyed.status).toBe('destroyed');
      await subject.provider.destroy({ providerDeploymentId: id });
      expect((await subject.provider.getStatus({ providerDeploymentId: id })).status).toBe('destroyed');
    },
  },
  {
    name: 'never exposes secret values',
    async run(subject) {
      const secret = `conformance-secret-${randomBytes(12).toString('hex')}`;
      const { input } = deployInput({ environment: subject.provider.capabilities.environments[0] ?? 'preview', secrets: { API_KEY: secret } });
      const returned: unknown[] = [];
      const capture = async <T>(call: () => Promise<T>): Promise<T | null> => {
        try {
          const value = await call();
          returned.push(value);
          return value;
        } catch (error) {
          returned.push(describeError(error));
          return null;
        }
      };
      const deployed = await capture(() => subject.provider.deploy(input));
      if (deployed) {
        const id = deployed.providerDeploymentId;
        const states: ProviderDeploymentState[] = [];
        await capture(() => waitForLive(subject, id, states));
        returned.push(states);
        let cursor: string | null = null;
        for (let page = 0; page < 20; page += 1) {
          const logs: ProviderLogPage | null = await capture(() => subject.provider.getLogs({ providerDeploymentId: id, cursor }));
          if (!logs || logs.cursor === null || logs.cursor === cursor || logs.entries.length === 0) break;
          cursor = logs.cursor;
        }
        await capture(() => subject.provider.getUrl({ providerDeploymentId: id }));
        await capture(() => subject.provider.destroy({ providerDeploymentId: id }));
        await capture(() => subject.provider.getStatus({ providerDeploymentId: id }));
      }
      const text = JSON.stringify(returned);
      expect(text.includes(secret), 'a secret value appeared in a returned state, log page or error').toBe(false);
    },
  },
  {
    name: 'reports an unknown deployment as failed or NotFoundError',
    async run(subject) {
      const unknown = `unknown-${randomBytes(8).toString('hex')}`;
      const outcome = await subject.provider.getStatus({ providerDeploymentId: unknown }).then(
        (state) => ({ state }),
        (error: unknown) => ({ error }),
      );
      if ('state' in outcome) {
        expectValidState(outcome.state);
        expect(outcome.state.status).toBe('failed');
      } else {
        expect(VectorError.isInstance(outcome.error) && outcome.error.code, String(outcome.error)).toBe('NOT_FOUND');
      }
    },
  },
];

/** An error's message, stack, details and causes, as a JSON-safe value to search for secrets. */
function describeError(error: unknown, depth = 0): unknown {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause === undefined || depth > 5 ? undefined : describeError(error.cause, depth + 1);
  return { name: error.name, message: error.message, stack: error.stack, details: VectorError.isInstance(error) ? error.details : undefined, cause };
}
