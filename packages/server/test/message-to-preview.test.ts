import { createVector, decodeText, type VectorScope } from '@vector/core';
import { createMemoryStorage, describeEachDatabase } from '@vector/core/testing';
import { createCodegenAgent } from '@vector/agent-codegen';
import { createLocalBuildChecker, createLocalProvider } from '@vector/provider-local';
import OpenAI from 'openai';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { expectEveryTurnUsed, useFakeOpenAIServer } from '../../agent-codegen/test/fake-openai-server.js';
import { makeStateDir } from '../../provider-local/test/local-fixture.js';
import { viteReactApp } from '../../provider-local/test/sample-apps.js';
import { clickCounter, inChromium, skipWithoutChromium, testBuildCacheDir } from '../../../test-support/chromium.js';
import { startInOrganization } from '../../../test-support/engine-in-organization.js';

// The promise end to end: a message becomes a version, the version is checked by a real build
// (install from the cache, tsc, vite build), the compiler's error goes back to the model, its
// fix passes, and the version opens as a running app in a browser.
const fake = useFakeOpenAIServer();

describeEachDatabase('message to preview with a real build check', (database) => {
  let scope: VectorScope;
  let stop: () => Promise<void>;
  let removeState: () => Promise<void>;

  beforeEach(async () => {
    fake.reset();
    const connection = await database.create();
    const state = await makeStateDir();
    removeState = state.remove;
    const agent = createCodegenAgent({
      client: new OpenAI({ apiKey: fake.apiKey, baseURL: fake.baseURL, maxRetries: 0 }),
      model: 'test-model',
      intentModel: 'test-mini',
      buildChecker: createLocalBuildChecker({ cacheDir: testBuildCacheDir }),
      maxFixRounds: 2,
    });
    const vector = createVector({
      database: connection,
      storage: [createMemoryStorage()],
      providers: [createLocalProvider({ stateDir: state.stateDir, cacheDir: testBuildCacheDir })],
      agents: [agent],
      jobHeartbeatMs: 200,
      deploymentPollIntervalMs: 50,
    });
    ({ scope, stop } = await startInOrganization(vector, connection));
  });
  afterEach(async () => {
    await stop();
    await removeState();
    expectEveryTurnUsed(fake);
  });

  it('sends the type error back to the model, saves the fixed version as passed by build, and it renders in Chromium', async () => {
    const app = Object.fromEntries(viteReactApp().map((file) => [file.path, decodeText(file.content)]));
    const withTypeError = app['src/App.tsx']?.replace('useState(0)', "useState<number>('none')") as string;
    expect(withTypeError).toContain("useState<number>('none')");
    fake.enqueue(
      { text: 'generate' },
      { text: 'Summary of the change.\n1. Write the counter app' },
      { text: 'Writing the app.', toolCalls: Object.entries({ ...app, 'src/App.tsx': withTypeError }).map(([path, content]) => ({ name: 'write_file', arguments: { path, content } })) },
      { toolCalls: [{ name: 'finish', arguments: { commit_message: 'Create the counter app', summary: 'I created the counter.' } }] },
      { toolCalls: [{ name: 'edit_file', arguments: { path: 'src/App.tsx', edits: [{ search: "useState<number>('none')", replace: 'useState(0)' }] } }] },
      { toolCalls: [{ name: 'finish', arguments: { commit_message: 'Create the counter app', summary: 'I created the counter and fixed the type error.' } }] },
    );
    const project = await scope.projects.create({ name: 'Counter' });
    const session = await scope.agent.createSession({ projectId: project.id });
    const { job } = await scope.agent.postMessage({ sessionId: session.id, content: 'Build a counter app' });
    const done = await scope.agent.waitForJob(job.id, { timeoutMs: 240_000 });
    expect(done.status, JSON.stringify(done.error)).toBe('complete');

    const validations = (await scope.agent.listJobEvents(job.id)).flatMap((event) => (event.data.type === 'validation' ? [event.data] : []));
    expect(validations.map((event) => [event.status, event.check])).toEqual([
      ['failed', 'build'],
      ['passed', 'build'],
    ]);
    expect(validations[0]?.errors[0]).toMatch(/^src\/App\.tsx:4:\d+: error TS2345: Argument of type 'string' is not assignable/);
    // The compiler's message reached the model in the fix round.
    const fixRequest = JSON.stringify(fake.requests[4]?.body.messages);
    expect(fixRequest).toContain('TS2345');
    expect(fixRequest).toContain('src/App.tsx:4');

    const version = await scope.versions.get(done.resultVersionId as string);
    expect(version).toMatchObject({ number: 1, source: 'ai_generation', validationStatus: 'passed', validationCheck: 'build', generationStatus: 'completed' });

    const created = await scope.deployments.create({ projectId: project.id, versionId: version.id, environment: 'preview' });
    const live = await scope.deployments.waitForDeployment(created.id, { timeoutMs: 240_000 });
    expect(live.status, JSON.stringify(live.error)).toBe('live');
    if (skipWithoutChromium()) return;
    await inChromium(live.url as string, (page) => clickCounter(page));
  }, 400_000);
});
