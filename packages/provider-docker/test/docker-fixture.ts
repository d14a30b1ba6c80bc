import { errorMessage } from '@vector/core';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeploymentProvider, ProviderDeploymentState, SourceFile } from '@vector/core';
import { afterAll, describe, expect, it } from 'vitest';
import { createDockerProvider, type DockerProvider, type DockerProviderOptions } from '../src/index.js';
import type { DockerClient } from '../src/docker-client.js';
import { labelKeys } from '../src/docker-labels.js';
import { listInstanceResources, removeContainer, removeImage } from '../src/docker-resources.js';
import { acquireDockerDaemon, ensureTestBaseImage } from './docker-daemon.js';

/** The daemon and base image a test file uses. */
export interface DockerTestEnvironment {
  socketPath: string;
  client: DockerClient;
  baseImage: string;
  /** A provider on the test daemon with a fresh state directory, removed with all it made after the file. */
  provider(options?: DockerProviderOptions): Promise<DockerProvider>;
  /** Removes every container and image of a provider instance (deployments left live by a test). */
  removeInstance(instance: string): Promise<void>;
  /** Instances the file created. */
  readonly instances: ReadonlySet<string>;
}

/**
 * Starts (or joins) the test daemon for this file and makes the base image; stops the daemon
 * after the file when this file was its last user. Without a daemon the suite is skipped,
 * except in CI (`CI` set), where a test fails with the reason.
 */
export async function dockerTestEnvironment(): Promise<DockerTestEnvironment | null> {
  const daemon = await acquireDockerDaemon();
  let baseImage = '';
  let reason = daemon.ok ? '' : daemon.reason;
  if (daemon.ok) {
    try {
      baseImage = await ensureTestBaseImage(daemon.client);
    } catch (error) {
      reason = `could not make the test base image: ${errorMessage(error)}`;
    }
  }
  const instances = new Set<string>();
  const stateDirs: string[] = [];
  const providers: DockerProvider[] = [];
  afterAll(async () => {
    try {
      for (const provider of providers) await provider.dispose?.();
      if (daemon.ok) for (const instance of instances) await removeInstance(daemon.client, instance);
      for (const dir of stateDirs) await rm(dir, { recursive: true, force: true });
    } finally {
      await daemon.release();
    }
  }, 120_000);
  if (!daemon.ok || reason !== '') {
    describe('Docker daemon', () => {
      if (process.env.CI) {
        it('is required in CI', () => {
          expect.fail(`the Docker tests need a daemon: ${reason}`);
        });
      } else {
        it.skip(`is missing, so the Docker tests are skipped: ${reason.split('\n')[0]}`, () => undefined);
      }
    });
    return null;
  }
  const client = daemon.client;
  return {
    socketPath: daemon.socketPath,
    client,
    baseImage,
    instances,
    async provider(options = {}) {
      const stateDir = await mkdtemp(join(tmpdir(), 'vector-docker-test-'));
      stateDirs.push(stateDir);
      const provider = createDockerProvider({ socketPath: daemon.socketPath, baseImage, stateDir, ...options });
      instances.add(provider.instance);
      providers.push(provider);
      return provider;
    },
    removeInstance: (instance) => removeInstance(client, instance),
  };
}

async function removeInstance(client: DockerClient, instance: string): Promise<void> {
  const { containers, images } = await listInstanceResources(client, instance);
  for (const container of containers) await removeContainer(client, container.Id);
  for (const image of images) await removeImage(client, image.Id);
}

/** Containers and images (intermediate ones too) labelled with any of `instances`. */
export async function leftovers(client: DockerClient, instances: Iterable<string>): Promise<string[]> {
  const found: string[] = [];
  for (const instance of instances) {
    const { containers, images } = await listInstanceResources(client, instance, { intermediate: true });
    found.push(...containers.map((container) => `container ${container.Names?.[0] ?? container.Id} (${container.State})`), ...images.map((image) => `image ${image.RepoTags?.[0] ?? image.Id}`));
  }
  return found;
}

export { deployFiles, logText, settle } from '../../../test-support/provider-fixture.js';

/** A container's state, or null when the daemon has no such container. */
export async function inspectContainer(client: DockerClient, container: string): Promise<Record<string, unknown> | null> {
  try {
    return await client.json<Record<string, unknown>>('GET', `/containers/${container}/json`);
  } catch (error) {
    if ((error as { status?: number }).status === 404) return null;
    throw error;
  }
}

export { labelKeys };
