/**
 * Embeds Vector in a plain Node program: SQLite metadata, code kept in the database by
 * `@vector/storage-internal`, previews served on localhost by core's static provider.
 *
 * Run it with `pnpm --filter @vector/example-embed start` (builds the packages it imports,
 * then `node src/main.ts`; Node 24 strips the types). The test imports `runEmbedExample`.
 */
import { pathToFileURL } from 'node:url';
import { createSqliteDatabase, createStaticProvider, createVector, type FileDiff } from '@vector/core';
import { createInternalStorage } from '@vector/storage-internal';

/** Options of {@link runEmbedExample}. */
export interface EmbedExampleOptions {
  /** SQLite file, or `:memory:` (the default) for a throw-away run. */
  databasePath?: string;
  /** Where progress lines go. Default `console.log`. */
  log?: (line: string) => void;
}

/** What {@link runEmbedExample} leaves running. */
export interface EmbedExampleResult {
  /** The live preview of version 2. */
  previewUrl: string;
  /** How version 2 differs from version 1. */
  diff: FileDiff[];
  /** Stops the engine (closing the preview server) and closes the database. */
  shutdown(): Promise<void>;
}

/** Creates a project, saves two versions, diffs them and deploys a preview of the second. */
export async function runEmbedExample(options: EmbedExampleOptions = {}): Promise<EmbedExampleResult> {
  const log = options.log ?? console.log;
  const database = createSqliteDatabase({ path: options.databasePath ?? ':memory:' });
  const vector = createVector({
    database,
    storage: [createInternalStorage({ database })],
    providers: [createStaticProvider()],
    // Poll the provider often so the preview is reported live as soon as it is.
    deploymentPollIntervalMs: 50,
  });
  const shutdown = async () => {
    await vector.dispose();
    await database.destroy();
  };
  try {
    await vector.start();

    // Every call is made by an actor inside one organization.
    const actor = { type: 'user', id: 'alice' } as const;
    const organization = await vector.organizations.create({ name: 'Acme' }, actor);
    const acme = vector.scope({ organizationId: organization.id, actor });

    const project = await acme.projects.create({ name: 'Landing page' });
    const v1 = await acme.versions.create({
      projectId: project.id,
      parentVersionId: null,
      message: 'First draft',
      files: [
        { path: 'index.html', content: '<!doctype html>\n<h1>Hello</h1>\n<link rel="stylesheet" href="style.css">\n' },
        { path: 'style.css', content: 'h1 { color: navy; }\n' },
      ],
    });
    // A write names the version it builds on; had the project moved on, this would throw ConflictError.
    const v2 = await acme.versions.create({
      projectId: project.id,
      parentVersionId: v1.id,
      message: 'Louder greeting',
      changes: [{ type: 'write', path: 'index.html', content: '<!doctype html>\n<h1>Hello, world!</h1>\n<link rel="stylesheet" href="style.css">\n' }],
    });
    log(`project ${project.name}: version ${v1.number} and version ${v2.number} saved`);

    const diff = await acme.versions.diff({ fromVersionId: v1.id, toVersionId: v2.id });
    for (const file of diff) log(`${file.status} ${file.path} (+${file.additions} -${file.deletions})\n${file.patch ?? ''}`);

    const created = await acme.deployments.create({ projectId: project.id, versionId: v2.id, environment: 'preview' });
    const deployment = await acme.deployments.waitForDeployment(created.id, { timeoutMs: 30_000 });
    if (deployment.status !== 'live' || deployment.url === null) {
      throw new Error(`The preview did not go live: ${deployment.status} ${deployment.error?.message ?? ''}`);
    }
    log(`preview of version ${v2.number}: ${deployment.url}`);
    return { previewUrl: deployment.url, diff, shutdown };
  } catch (error) {
    await shutdown();
    throw error;
  }
}

// Run as a program (not when imported by the test): keep the preview up until Ctrl-C.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { shutdown } = await runEmbedExample();
  console.log('Press Ctrl-C to stop.');
  process.once('SIGINT', () => void shutdown().then(() => process.exit(0)));
}
