import { existsSync } from 'node:fs';
import { readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildPlanSchema, type BuildPlan, errorMessage } from '@vector/core';
import { z } from 'zod';

/** What the provider keeps on disk about a deployment, so a restart can bring it back. */
export const deploymentManifestSchema = z.object({
  id: z.string(),
  deploymentId: z.string(),
  idempotencyKey: z.string(),
  environment: z.enum(['preview', 'production']),
  projectName: z.string(),
  versionNumber: z.number(),
  /** Deployment variables (not secrets: their values are never written anywhere). */
  env: z.record(z.string(), z.string()),
  /** Names of the secrets it was deployed with: a server needing them can't be restarted. */
  secretNames: z.array(z.string()),
  /** `building` until it first went live; `live`; `failed` and `destroyed` are final. */
  status: z.enum(['building', 'live', 'failed', 'destroyed']),
  /** The files are on disk in app/. */
  filesWritten: z.boolean(),
  /** Install and build finished: a restart only needs to serve or start it. */
  built: z.boolean(),
  plan: buildPlanSchema.nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  createdAt: z.string(),
});
/** A deployment's manifest. */
export type DeploymentManifest = z.infer<typeof deploymentManifestSchema>;

const fileName = 'manifest.json';

/** Writes the manifest atomically (aside, then renamed). */
export async function writeManifest(dir: string, manifest: DeploymentManifest): Promise<void> {
  const target = join(dir, fileName);
  const temporary = `${target}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(manifest, null, 2)}\n`);
  await rename(temporary, target);
}

/** Reads every deployment manifest under `stateDir`; unreadable ones are reported, not fatal. */
export async function readManifests(stateDir: string): Promise<{ manifests: Array<{ dir: string; manifest: DeploymentManifest }>; problems: string[] }> {
  const manifests: Array<{ dir: string; manifest: DeploymentManifest }> = [];
  const problems: string[] = [];
  if (!existsSync(stateDir)) return { manifests, problems };
  for (const entry of await readdir(stateDir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const dir = join(stateDir, entry.name);
    const path = join(dir, fileName);
    if (!existsSync(path)) continue;
    try {
      manifests.push({ dir, manifest: deploymentManifestSchema.parse(JSON.parse(await readFile(path, 'utf8'))) });
    } catch (error) {
      problems.push(`${path}: ${errorMessage(error)}`);
    }
  }
  return { manifests, problems };
}

/** The plan type, re-exported for the provider's state. */
export type { BuildPlan };
