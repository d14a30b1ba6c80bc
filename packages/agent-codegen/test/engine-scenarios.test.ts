import { createVector, decodeText, joinJobText, type TokenUsage, type Vector, type VectorScope } from '@vector/core';
import { createMemoryStorage, createStaticProvider, describeEachDatabase } from '@vector/core/testing';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { startInOrganization } from '../../../test-support/engine-in-organization.js';
import { agentFor, intentAndPlan, markerBuildChecker, reactApp, viteApp } from './agent-test-helpers.js';
import { expectEveryTurnUsed, useFakeOpenAIServer } from './fake-openai-server.js';

const fake = useFakeOpenAIServer();

describeEachDatabase('codegen agent through the engine', (database) => {
  let scope: VectorScope;
  let stop: () => Promise<void>;
  let vector: Vector;

  beforeEach(async () => {
    fake.requests.length = 0;
    const connection = await database.create();
    vector = createVector({
      database: connection,
      storage: [createMemoryStorage()],
      providers: [createStaticProvider()],
      agents: [agentFor(fake), agentFor(fake, { type: 'codegen-build', buildChecker: markerBuildChecker(), maxFixRounds: 1 })],
      jobHeartbeatMs: 50,
      // Looks for jobs of dead workers often, so a resumed job does not wait seconds.
      jobSweepIntervalMs: 100,
    });
    ({ scope, stop } = await startInOrganization(vector, connection));
  });
  afterEach(async () => {
    await stop();
    expectEveryTurnUsed(fake);
  });

  async function post(content: string, options: { files?: Record<string, string>; budget?: { maxSteps?: number }; agentType?: string } = {}) {
    const project = await scope.projects.create({ name: 'app' });
    const base = options.files
      ? await scope.versions.create({ projectId: project.id, parentVersionId: null, files: Object.entries(options.files).map(([path, text]) => ({ path, content: text })), message: 'start' })
      : null;
    const session = await scope.agent.createSession({ projectId: project.id, agentType: options.agentType ?? 'codegen' });
    const posted = await scope.agent.postMessage({ sessionId: session.id, content, ...(options.budget ? { budget: options.budget } : {}) });
    return { project, base, session, job: posted.job };
  }

  async function usageOf(jobId: string) {
    const events = await scope.agent.listJobEvents(jobId);
    // Model calls are the `step` events of kind `model`.
    const usages = events.flatMap((event) => (event.data.type === 'step' && event.data.kind === 'model' && event.data.usage ? [event.data.usage] : []));
    return {
      events,
      types: events.map((event) => event.data.type).filter((type, index, all) => type !== 'text_delta' || all[index - 1] !== 'text_delta'),
      total: usages.reduce<Required<TokenUsage>>(
        (sum, usage) => ({ promptTokens: sum.promptTokens + usage.promptTokens, cachedTokens: sum.cachedTokens + (usage.cachedTokens ?? 0), completionTokens: sum.completionTokens + usage.completionTokens, totalTokens: sum.totalTokens + usage.totalTokens }),
        { promptTokens: 0, cachedTokens: 0, completionTokens: 0, totalTokens: 0 },
      ),
      calls: usages.length,
    };
  }

  it('generates an app from an empty project into version 1', async () => {
    const app = reactApp('Todo');
    fake.enqueue(
      ...intentAndPlan('generate', ['Write the app']),
      { text: 'Writing files.', toolCalls: Object.entries(app).map(([path, content]) => ({ name: 'write_file', arguments: { path, content } })) },
      { toolCalls: [{ name: 'finish', arguments: { commit_message: 'Create a todo app', summary: 'I created the todo app.' } }] },
    );
    const { session, job } = await post('Build a todo app');
    const done = await scope.agent.waitForJob(job.id, { timeoutMs: 20_000 });
    expect(done.status).toBe('complete');
    const version = await scope.versions.get(done.resultVersionId as string);
    expect(version).toMatchObject({ number: 1, parentId: null, source: 'ai_generation', jobId: job.id, validationStatus: 'passed', validationCheck: 'bundle', generationStatus: 'completed', message: 'Create a todo app', fileCount: 4 });
    expect(decodeText((await scope.versions.getFile(version.id, 'src/App.tsx')).content)).toBe(app['src/App.tsx']);
    const { types, total, calls } = await usageOf(job.id);
    expect(types).toEqual([
      'status', 'status', 'step', 'intent', 'step', 'plan', 'text_delta', 'step',
      ...Object.keys(app).flatMap(() => ['tool_call', 'tool_result', 'file_changed', 'step']),
      'step', 'tool_call', 'tool_result', 'step', 'step', 'validation', 'result', 'done',
    ]);
    expect(calls).toBe(fake.requests.length);
    expect(done.usage).toEqual(total);
    expect(done.steps).toBe(4);
    // The fake's models have no price: the cost is unknown (null), never 0, and the tokens still count.
    expect(done).toMatchObject({ costUsd: null, unpricedModelCalls: 4 });
    // Every model and tool call is a step row, in order, with its output.
    const steps = await scope.agent.listSteps(job.id);
    expect(steps.map((step) => step.index)).toEqual(steps.map((_, index) => index + 1));
    expect(steps.map((step) => `${step.kind}:${step.name}`)).toEqual(['model:intent', 'model:plan', 'model:change', ...Object.keys(app).map(() => 'tool:write_file'), 'model:change', 'tool:finish', 'tool:check_project']);
    expect(steps.every((step) => step.attempt === 1 && step.status === 'succeeded' && step.inputDigest?.startsWith('sha256:'))).toBe(true);
    expect(steps[0]?.output).toMatchObject({ content: 'generate' });
    expect(done.plan).toEqual(['Write the app']);
    const messages = (await scope.agent.listMessages(session.id)).items;
    expect(messages.map((message) => [message.role, message.content])).toEqual([['user', 'Build a todo app'], ['assistant', 'I created the todo app.']]);
    expect(messages[1]?.versionId).toBe(version.id);
  });

  it('resumes a job whose worker died mid-call: only the remaining model calls, the same version, each text once', async () => {
    const app = reactApp('Todo');
    const [first, ...rest] = Object.entries(app);
    const writes = (entries: Array<[string, string]>) => entries.map(([path, content], index) => ({ id: `call_${path.replace(/\W/g, '')}_${index}`, name: 'write_file', arguments: { path, content } }));
    // Five model calls; the fourth streams slowly, so the worker can die in the middle of it.
    const script = (slow: boolean) => [
      ...intentAndPlan('generate', ['Write the app']),
      { text: 'Writing the first file.', toolCalls: writes([first as [string, string]]) },
      { text: 'Now the rest of the files.', toolCalls: writes(rest), ...(slow ? { chunkDelayMs: 40 } : {}) },
      { toolCalls: [{ id: 'call_finish', name: 'finish', arguments: { commit_message: 'Create a todo app', summary: 'I created the todo app.' } }] },
    ];

    // What an uninterrupted run makes.
    fake.enqueue(...script(false));
    const reference = await post('Build a todo app');
    const referenceDone = await scope.agent.waitForJob(reference.job.id, { timeoutMs: 20_000 });
    const referenceCalls = fake.requests.length;
    const referenceText = joinJobText(await scope.agent.listJobEvents(reference.job.id));
    expect(referenceText).toBe('Writing the first file.Now the rest of the files.');
    fake.requests.length = 0;

    // The same request; the worker dies while the fourth call streams. The dead call's turn is
    // used up, so the resumed call gets a fresh copy of it (and then the last one).
    fake.enqueue(...script(true).slice(0, 4), ...script(false).slice(3));
    const { job } = await post('Build a todo app');
    const partialTextLogged = async () => {
      const events = await scope.agent.listJobEvents(job.id);
      const lastStep = events.findLastIndex((event) => event.data.type === 'step' && event.data.kind === 'model');
      return events.filter((event) => event.data.type === 'step' && event.data.kind === 'model').length === 3 && events.slice(lastStep).some((event) => event.data.type === 'text_delta');
    };
    await waitForAsync(partialTextLogged);
    // Simulated death: another worker's claim with a heartbeat long past, as a crashed process leaves it.
    await vector.db.updateTable('vector_agent_jobs').set({ worker_id: 'dead-worker', heartbeat_at: '2000-01-01T00:00:00.000Z' }).where('id', '=', job.id).execute();
    const done = await scope.agent.waitForJob(job.id, { timeoutMs: 20_000 });
    expect(done).toMatchObject({ status: 'complete', attempts: 2 });

    // Attempt 1 made calls 1–4 (the fourth cut off); attempt 2 made only the calls left: 4 and 5.
    expect(fake.requests).toHaveLength(4 + (referenceCalls - 3));
    expect(fake.requests[3]?.clientAborted).toBe(true);
    expect(fake.requests[4]?.body.messages).toEqual(fake.requests[3]?.body.messages);
    // Each call counted once: the same calls and tokens as the uninterrupted run.
    expect(done.steps).toBe(referenceDone.steps);
    expect(done.usage).toEqual(referenceDone.usage);

    // The same version.
    const version = await scope.versions.get(done.resultVersionId as string);
    const referenceVersion = await scope.versions.get(referenceDone.resultVersionId as string);
    expect(version).toMatchObject({ message: referenceVersion.message, validationStatus: referenceVersion.validationStatus, fileCount: referenceVersion.fileCount, generationStatus: 'completed' });
    expect(await scope.versions.listFiles(version.id)).toEqual(await scope.versions.listFiles(referenceVersion.id));

    // The log: the cut-off text is there, but joined as documented every text appears once.
    const events = await scope.agent.listJobEvents(job.id);
    const rawText = events.flatMap((event) => (event.data.type === 'text_delta' ? [event.data.text] : [])).join('');
    expect(rawText).not.toBe(referenceText);
    expect(joinJobText(events)).toBe(referenceText);
    const resumed = events.find((event) => event.data.type === 'status' && event.data.status === 'running' && event.data.attempt === 2);
    const stepsOfFirstAttempt = (await scope.agent.listSteps(job.id)).filter((step) => step.attempt === 1);
    expect(resumed?.data).toEqual({ type: 'status', status: 'running', attempt: 2, resumedSteps: stepsOfFirstAttempt.length });
    // The replayed steps are not announced again: one intent and one plan in the whole log.
    expect(events.filter((event) => event.data.type === 'intent')).toHaveLength(1);
    expect(events.filter((event) => event.data.type === 'plan')).toHaveLength(1);

    // Steps: attempt 1's then attempt 2's, numbered on, five model calls in all.
    const steps = await scope.agent.listSteps(job.id);
    expect(steps.map((step) => step.index)).toEqual(steps.map((_, index) => index + 1));
    expect(steps.filter((step) => step.kind === 'model').map((step) => [step.name, step.attempt])).toEqual([['intent', 1], ['plan', 1], ['change', 1], ['change', 2], ['change', 2]]);
  });

  it('edits one file of a 200-file project into version 2', async () => {
    const files = reactApp('Dashboard');
    for (let index = 0; index < 196; index += 1) files[`src/widgets/w${index}.ts`] = `export const marker${index} = 'hidden-${index}';\n`;
    fake.enqueue(
      ...intentAndPlan('edit', ['Rename the heading']),
      { toolCalls: [{ name: 'read_file', arguments: { path: 'src/App.tsx' } }] },
      { toolCalls: [{ name: 'edit_file', arguments: { path: 'src/App.tsx', edits: [{ search: 'Dashboard', replace: 'Sales' }] } }] },
      { toolCalls: [{ name: 'finish', arguments: { commit_message: 'Rename the heading', summary: 'Renamed.' } }] },
    );
    const { base, job } = await post('Rename the heading to Sales', { files });
    const done = await scope.agent.waitForJob(job.id, { timeoutMs: 20_000 });
    expect(done.status).toBe('complete');
    const version = await scope.versions.get(done.resultVersionId as string);
    expect(version).toMatchObject({ number: 2, parentId: base?.id, source: 'ai_generation', validationStatus: 'passed', fileCount: 200 });
    const diff = await scope.versions.diff({ fromVersionId: base?.id ?? null, toVersionId: version.id });
    expect(diff.map((entry) => [entry.path, entry.status])).toEqual([['src/App.tsx', 'modified']]);
    for (const request of fake.requests) expect(JSON.stringify(request.body.messages)).not.toContain('hidden-');
    expect(done.usage).toEqual((await usageOf(job.id)).total);
  });

  it('saves the version as passed after a failed first validation round', async () => {
    fake.enqueue(
      ...intentAndPlan('edit', ['Add a footer']),
      { toolCalls: [{ name: 'edit_file', arguments: { path: 'src/App.tsx', edits: [{ search: 'export function App() {', replace: "import { Footer } from './Footer';\nexport function App() {" }, { search: '<h1>Hello</h1>', replace: '<><h1>Hello</h1><Footer /></>' }] } }] },
      { toolCalls: [{ name: 'finish', arguments: { commit_message: 'Add a footer', summary: 'Added.' } }] },
      { toolCalls: [{ name: 'write_file', arguments: { path: 'src/Footer.tsx', content: 'export const Footer = () => <footer>©</footer>;\n' } }] },
      { toolCalls: [{ name: 'finish', arguments: { commit_message: 'Add a footer component', summary: 'Added a footer.' } }] },
    );
    const { job } = await post('Add a footer', { files: reactApp() });
    const done = await scope.agent.waitForJob(job.id, { timeoutMs: 20_000 });
    expect(done.status).toBe('complete');
    const version = await scope.versions.get(done.resultVersionId as string);
    expect(version).toMatchObject({ validationStatus: 'passed', message: 'Add a footer component' });
    const validations = (await scope.agent.listJobEvents(job.id)).flatMap((event) => (event.data.type === 'validation' ? [event.data] : []));
    expect(validations.map((validation) => [validation.status, validation.round])).toEqual([['failed', 1], ['passed', 2]]);
    expect(validations[0]?.errors[0]).toContain('Cannot resolve "./Footer"');
    expect(done.steps).toBe(6);
  });

  it('records a build-checked version as completed once a fix round makes it build', async () => {
    const breakApp = { toolCalls: [{ name: 'edit_file', arguments: { path: 'src/App.tsx', edits: [{ search: '<h1>Hello</h1>', replace: '<h1>{BUILD_BREAKS_HERE}</h1>' }] } }] };
    fake.enqueue(
      ...intentAndPlan('edit', ['Change the heading']),
      breakApp,
      { toolCalls: [{ name: 'finish', arguments: { commit_message: 'Change the heading', summary: 'Changed.' } }] },
      { toolCalls: [{ name: 'edit_file', arguments: { path: 'src/App.tsx', edits: [{ search: '{BUILD_BREAKS_HERE}', replace: 'Welcome' }] } }] },
      { toolCalls: [{ name: 'finish', arguments: { commit_message: 'Change the heading to Welcome', summary: 'Changed and fixed.' } }] },
    );
    const { base, job } = await post('Change the heading', { files: viteApp(), agentType: 'codegen-build' });
    const done = await scope.agent.waitForJob(job.id, { timeoutMs: 20_000 });
    expect(done.status).toBe('complete');
    const version = await scope.versions.get(done.resultVersionId as string);
    expect(version).toMatchObject({ number: 2, parentId: base?.id, source: 'ai_generation', validationStatus: 'passed', validationCheck: 'build', generationStatus: 'completed', message: 'Change the heading to Welcome' });
    expect(base).toMatchObject({ validationStatus: 'not_run', validationCheck: null, generationStatus: 'not_applicable' });
    const events = (await scope.agent.listJobEvents(job.id)).map((event) => event.data);
    expect(events.flatMap((event) => (event.type === 'validation' ? [[event.status, event.check, event.errors]] : []))).toEqual([
      ['failed', 'build', ["src/App.tsx:2:15: error TS2304: Cannot find name 'BUILD_BREAKS_HERE'."]],
      ['passed', 'build', []],
    ]);
    expect(events.find((event) => event.type === 'result')).toMatchObject({ validationStatus: 'passed', validationCheck: 'build' });
  });

  it('saves a version that still fails the build check as incomplete', async () => {
    fake.enqueue(
      ...intentAndPlan('edit'),
      { toolCalls: [{ name: 'write_file', arguments: { path: 'src/App.tsx', content: 'export const App = () => BUILD_BREAKS_HERE;\n' } }] },
      { toolCalls: [{ name: 'finish', arguments: { commit_message: 'Break it', summary: 'Changed.' } }] },
      { toolCalls: [{ name: 'finish', arguments: { commit_message: 'Still broken', summary: 'I could not fix it.' } }] },
    );
    const { job } = await post('Change App', { files: viteApp(), agentType: 'codegen-build' });
    const done = await scope.agent.waitForJob(job.id, { timeoutMs: 20_000 });
    expect(done.status).toBe('complete');
    const version = await scope.versions.get(done.resultVersionId as string);
    expect(version).toMatchObject({ validationStatus: 'failed', validationCheck: 'build', generationStatus: 'incomplete', message: 'Still broken' });
    expect(decodeText((await scope.versions.getFile(version.id, 'src/App.tsx')).content)).toContain('BUILD_BREAKS_HERE');
  });

  it('cancels mid-stream: the model stream closes and no version is saved', async () => {
    fake.enqueue(...intentAndPlan('edit'), { text: 'thinking '.repeat(500), chunkDelayMs: 20 });
    const { project, base, job } = await post('Change something', { files: reactApp() });
    await waitFor(() => (fake.requests[2]?.chunksSent ?? 0) > 3);
    await scope.agent.cancelJob(job.id);
    const finished = await scope.agent.waitForJob(job.id, { timeoutMs: 20_000 });
    expect(finished.status).toBe('cancelled');
    await waitFor(() => fake.requests[2]?.clientAborted === true);
    expect((await scope.projects.get(project.id)).currentVersionId).toBe(base?.id);
    const { types } = await usageOf(job.id);
    expect(types.at(-1)).toBe('cancelled');
    expect(types).toContain('text_delta');
    expect(types).not.toContain('result');
  });

  it('fails the job at the step limit, having made no call past it', async () => {
    fake.enqueue(...intentAndPlan('edit'), { toolCalls: [{ name: 'list_files', arguments: {} }] }, { toolCalls: [{ name: 'list_files', arguments: {} }] });
    const { project, base, job } = await post('Loop', { files: reactApp(), budget: { maxSteps: 4 } });
    const finished = await scope.agent.waitForJob(job.id, { timeoutMs: 20_000 });
    expect(finished).toMatchObject({ status: 'failed', steps: 4, error: { code: 'BUDGET_EXCEEDED' } });
    expect(finished.error?.message).toContain('budget of 4 model calls');
    expect(fake.requests).toHaveLength(4);
    expect((await scope.projects.get(project.id)).currentVersionId).toBe(base?.id);
    expect((await usageOf(job.id)).types.at(-1)).toBe('failed');
  });
});

async function waitForAsync(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function waitFor(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
