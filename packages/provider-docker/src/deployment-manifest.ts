import { errorMessage } from '@vector/core';
import { existsSync } from 'node:fs';
import { readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

/** What the provider keeps on disk about a deployment, so a restart can find its container. */
export const deploymentManifestSchema = z.object({
  id: z.string().regex(/^[a-z0-9]+$/),
  deploymentId: z.string(),
  idempotencyKey: z.string(),
  environment: z.enum(['preview', 'production']),
  projectId: z.string(),
  versionNumber: z.number(),
  /** `building` until it first went live; `live`; `failed` is final. Destroyed ones are deleted. */
  status: z.enum(['building', 'live', 'failed']),
  /** The image's tag. */
  image: z.string(),
  containerId: z.string().nullable(),
  /** The port the container listens on (host networking). */
  port: z.number().int().nullable(),
  url: z.string().nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  createdAt: z.string(),
});
/** A deployment's manifest (never secret values, nor the deployment's variables). */
export type DeploymentManifest = z.infer<typeof deploymentManifestSchema>;

const suffix = '.json';

/** Writes the manifest atomically (aside, then renamed). */
export async function writeManifest(stateDir: string, manifest: DeploymentManifest): Promise<void> {
  const target = join(stateDir, `${manifest.id}${suffix}`);
  const temporary = `${target}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(temporary, `${JSON.stringify(manifest, null, 2)}\n`);
  await rename(temporary, target);
}

/** Deletes a manifest (a destroyed deployment). */
export async function removeManifest(stateDir: string, id: string): Promise<void> {
  await rm(join(stateDir, `${id}${suffix}`), { force: true });
}

/** Reads every manifest under `stateDir`; unreadable ones are reported, not fatal. */
export async function readManifests(stateDir: string): Promise<{ manifests: DeploymentManifest[]; problems: string[] }> {
  const manifests: DeploymentManifest[] = [];
  const problems: string[] = [];
  if (!existsSync(stateDir)) return { manifests, problems };
  for (const entry of await readdir(stateDir, { withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith(suffix)) continue;
    const path = join(stateDir, entry.name);
    try {
      manifests.push(deploymentManifestSchema.parse(JSON.parse(await readFile(path, 'utf8'))));
    } catch (error) {
      problems.push(`${path}: ${errorMessage(error)}`);
    }
  }
  return { manifests, problems };
}
