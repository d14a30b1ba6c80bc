import { planBuild, type BuildPlan, type SourceFile } from '@vector/core';
import { dockerfileForPlan, type BuildStep } from './dockerfile-for-plan.js';
import { staticServerScript } from './static-server-script.js';
import { createTarArchive, type TarEntry } from './tar-archive.js';

/** What the daemon builds: the tar archive, and what the provider needs to follow it. */
export interface BuildContext {
  /** `generated` from the build plan, or the project's own `Dockerfile`. */
  source: 'generated' | 'project';
  archive: Buffer;
  /** The Dockerfile's path inside the archive. */
  dockerfilePath: string;
  dockerfile: string;
  /** The plan, for a generated Dockerfile. */
  plan: BuildPlan | null;
  steps: BuildStep[];
  /** Images named by `FROM` (not earlier stages): each must exist locally, since nothing is pulled. */
  baseImages: string[];
  /** Deployment variables passed as build arguments. */
  buildArgs: Record<string, string>;
}

/** The project's own Dockerfile, at its root. */
export const projectDockerfile = 'Dockerfile';

/**
 * Turns a version's files into a build context. A project with a `Dockerfile` at its root is
 * built with it as it is (the files at the archive's root, its `.dockerignore` honoured);
 * otherwise `planBuild(files)` decides, and a Dockerfile is generated from the plan (the files
 * under `app/`, the file server under `vector/`). Throws the plan's `ValidationError` for a
 * version that can't be planned.
 */
export function createBuildContext(input: { files: ReadonlyArray<SourceFile>; baseImage: string; env: Readonly<Record<string, string>>; buildKit: boolean }): BuildContext {
  const files = input.files.map((file) => ({ path: safePath(file.path), content: file.content }));
  const buildArgs = Object.fromEntries(Object.entries(input.env).filter(([name]) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(name)));
  const own = files.find((file) => file.path === projectDockerfile);
  if (own) {
    const dockerfile = Buffer.from(own.content).toString('utf8');
    return { source: 'project', archive: createTarArchive(files), dockerfilePath: projectDockerfile, dockerfile, plan: null, steps: [], baseImages: fromImages(dockerfile), buildArgs };
  }
  const plan = planBuild(files);
  const generated = dockerfileForPlan({ plan, baseImage: input.baseImage, fileNames: new Set(files.map((file) => file.path)), buildArgNames: Object.keys(buildArgs).sort(), buildKit: input.buildKit });
  const entries: TarEntry[] = [
    { path: 'Dockerfile', content: Buffer.from(generated.text) },
    { path: 'vector/serve.mjs', content: Buffer.from(staticServerScript) },
    ...files.map((file) => ({ path: `app/${file.path}`, content: file.content })),
  ];
  return { source: 'generated', archive: createTarArchive(entries), dockerfilePath: 'Dockerfile', dockerfile: generated.text, plan, steps: generated.steps, baseImages: [input.baseImage], buildArgs };
}

/**
 * The images a Dockerfile's `FROM` lines name, leaving out `scratch`, earlier stages and
 * names built from variables (which can't be checked before the build).
 */
export function fromImages(dockerfile: string): string[] {
  const stages = new Set<string>();
  const images: string[] = [];
  for (const line of dockerfile.replace(/\\\r?\n/g, ' ').split(/\r?\n/)) {
    const match = /^\s*FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (!match) continue;
    const image = match[1] ?? '';
    if (image !== 'scratch' && !image.includes('$') && !stages.has(image.toLowerCase()) && !images.includes(image)) images.push(image);
    if (match[2]) stages.add(match[2].toLowerCase());
  }
  return images;
}

/** A relative path that stays inside the context. */
function safePath(path: string): string {
  const clean = path.replace(/^\.\//, '');
  if (clean === '' || clean.startsWith('/') || clean.split('/').some((part) => part === '..' || part === '')) {
    throw new Error(`refusing the file path ${JSON.stringify(path)}: not a relative path inside the project`);
  }
  return clean;
}
