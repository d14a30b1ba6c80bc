import { readFileSync } from 'node:fs';
import type { DeploymentProvider, ProviderDeploymentState, SourceFile } from '@vector/core';

let counter = 0;

/** Deploys `files` straight through a provider (no engine), with fresh ids and key. */
export async function deployFiles(provider: DeploymentProvider, files: SourceFile[], extra: { env?: Record<string, string>; secrets?: Record<string, string>; environment?: 'preview' | 'production' } = {}): Promise<ProviderDeploymentState> {
  counter += 1;
  return provider.deploy({
    deploymentId: `deployment-${process.pid}-${counter}`,
    idempotencyKey: `key-${process.pid}-${Date.now()}-${counter}`,
    project: { id: 'project-1', organizationId: 'organization-1', name: 'Test app' },
    version: { id: `version-${counter}`, number: counter, storageRef: `ref-${counter}` },
    environment: extra.environment ?? 'preview',
    source: { git: null, getFiles: async () => files },
    env: extra.env ?? {},
    secrets: extra.secrets ?? {},
  });
}

/** Polls until the deployment leaves pending/building. */
export async function settle(provider: DeploymentProvider, providerDeploymentId: string, timeoutMs = 240_000): Promise<ProviderDeploymentState> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await provider.getStatus({ providerDeploymentId });
    if (state.status !== 'pending' && state.status !== 'building') return state;
    if (Date.now() > deadline) throw new Error(`deployment ${providerDeploymentId} still ${state.status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Every log line of a deployment, as text. */
export async function logText(provider: DeploymentProvider, providerDeploymentId: string): Promise<string> {
  const page = await provider.getLogs({ providerDeploymentId, cursor: null });
  return page.entries.map((entry) => `${entry.level} ${entry.source} ${entry.message}`).join('\n');
}

/** True while a process with this id exists and is not a zombie (dead, waiting to be reaped). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
