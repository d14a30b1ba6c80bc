import { describeEachDatabase } from '@vector/core/testing';
import type { Browser } from 'playwright-core';
import { afterEach, beforeAll, expect, it } from 'vitest';
import { launchChromium, skipWithoutChromium } from '../../../test-support/chromium.js';
import { buildConsoleOnce } from './console-build.js';
import { type ConsoleServer, screenshot, signIn, startConsoleServer } from './console-journey.js';

// The console's acceptance journey in headless Chromium against a real server (on 127.0.0.1,
// port 0) with the scripted model: sign in, create a project, chat and watch the job stream,
// see the version and its diff, deploy a preview and open it, roll back. Screenshots of every
// page go to .test-artifacts/console/ (gitignored). Skips without Chromium (fails in CI).
describeEachDatabase('the console in Chromium', (database) => {
  let server: ConsoleServer | undefined;
  let browser: Browser | undefined;
  beforeAll(buildConsoleOnce, 180_000);
  afterEach(async () => {
    await browser?.close();
    await server?.close();
    browser = undefined;
    server = undefined;
  });

  it('walks the whole journey: sign in, project, live chat, version and diff, preview, rollback', async () => {
    if (skipWithoutChromium()) return;
    server = await startConsoleServer(database);
    const { base, key, gates } = server;
    const shot = (page: Parameters<typeof screenshot>[0], name: string) => screenshot(page, `${database.name}-${name}`);
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error' && !/Failed to load resource/.test(message.text())) pageErrors.push(message.text());
    });

    // 1. Sign in. A wrong key shows the API's own message and code, and the page stays usable.
    await page.goto(`${base}/console`);
    await page.getByLabel('API key').fill('vk_not-a-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('UNAUTHORIZED');
    await signIn(page, base, key, `${database.name}-sign-in`);
    expect(await page.evaluate(() => sessionStorage.getItem('vector.console.apiKey'))).toBe(key);
    expect(await page.evaluate(() => localStorage.length)).toBe(0);

    // 2. Create a project: the console opens its chat.
    await page.getByLabel('New project name').fill('Landing page');
    await page.getByRole('button', { name: 'Create project' }).click();
    await page.getByRole('heading', { name: 'Landing page' }).waitFor();
    expect(page.url()).toMatch(/\/console\/projects\/[^/]+\/chat$/);
    const projectId = /projects\/([^/]+)\/chat/.exec(page.url())?.[1] as string;

    // 3. Send a message and watch its events arrive while the job runs (the model waits at a gate).
    gates.closed.add(1);
    await page.getByLabel('Message to the agent').fill('Hello console');
    await page.getByRole('button', { name: 'Send' }).click();
    const job = page.getByRole('region', { name: 'Agent job' });
    await expect.poll(() => job.getByTestId('job-text').textContent(), { timeout: 15_000 }).toBe('Writing the page ');
    expect(await job.locator('.badge').first().textContent()).toBe('running');
    await job.getByRole('button', { name: 'Cancel job' }).waitFor();
    await shot(page, 'chat-running');
    gates.open(1);
    await expect.poll(() => job.locator('.badge').first().textContent(), { timeout: 15_000 }).toBe('done');
    expect(await job.getByTestId('job-text').textContent()).toBe('Writing the page with “Hello console”.');
    expect(await job.getByRole('list', { name: 'Changed files' }).textContent()).toContain('index.html');
    expect(await job.getByText('Validation:').textContent()).toContain('passed');
    expect(await job.locator('table').textContent()).toContain('gpt-4o-mini');
    expect(await job.getByTestId('job-usage').textContent()).toMatch(/Tokens: 1500 \(1200 in, 300 out\) · Cost: \$0\.000[0-9]+/);
    await page.getByText('The page now says “Hello console”.').first().waitFor();

    // A second message, so the next version has a diff against the first.
    await page.getByLabel('Message to the agent').fill('Hello again');
    await page.getByRole('button', { name: 'Send' }).click();
    await expect.poll(() => page.getByRole('region', { name: 'Agent job' }).getByTestId('job-text').textContent(), { timeout: 15_000 }).toBe('Writing the page with “Hello again”.');
    await shot(page, 'chat');
    // The same page on a narrow window.
    await page.setViewportSize({ width: 390, height: 844 });
    await shot(page, 'chat-narrow');
    await page.setViewportSize({ width: 1280, height: 860 });

    // 4. The new version and its diff, unified and side by side; the file tree.
    await page.getByRole('region', { name: 'Agent job' }).getByRole('link', { name: 'Open versions' }).click();
    const timeline = page.getByRole('list', { name: 'Versions' });
    await timeline.getByRole('button', { name: 'Version 2', exact: true }).waitFor();
    await page.getByRole('heading', { name: 'Changes in version 2' }).waitFor();
    const diff = page.getByRole('region', { name: 'Diff' });
    await diff.locator('tr.delete', { hasText: '<h1>Hello console</h1>' }).waitFor();
    await diff.locator('tr.add', { hasText: '<h1>Hello again</h1>' }).waitFor();
    await diff.getByLabel('Side by side').check();
    await diff.locator('td.delete', { hasText: '<h1>Hello console</h1>' }).waitFor();
    await diff.locator('td.add', { hasText: '<h1>Hello again</h1>' }).waitFor();
    await diff.getByLabel('Compared with').selectOption({ label: 'nothing (every file)' });
    await diff.locator('.badge', { hasText: 'added' }).waitFor();
    await page.getByRole('region', { name: 'Files' }).getByRole('button', { name: 'index.html' }).click();
    await page.locator('pre.file', { hasText: 'Hello again' }).waitFor();
    await diff.getByLabel('Compared with').selectOption({ label: 'its parent' });
    await diff.locator('td.add', { hasText: '<h1>Hello again</h1>' }).waitFor();
    await shot(page, 'versions');

    // 5. Deploy a preview, follow its build log, open it.
    await page.getByRole('navigation', { name: 'Project' }).getByRole('link', { name: 'Deployments' }).click();
    await page.getByRole('button', { name: 'Deploy preview' }).click();
    const open = page.getByRole('link', { name: 'Open preview' });
    await open.waitFor({ timeout: 20_000 });
    const log = page.getByRole('region', { name: 'Build log' });
    await expect.poll(() => log.locator('.badge').textContent(), { timeout: 15_000 }).toBe('live');
    expect(await log.locator('pre').textContent()).not.toBe('Waiting for log lines…');
    await shot(page, 'deployments');
    const [preview] = await Promise.all([page.context().waitForEvent('page'), open.click()]);
    await preview.waitForLoadState();
    expect(new URL(preview.url()).hostname).toBe('127.0.0.1');
    await preview.getByRole('heading', { name: 'Hello again' }).waitFor();
    await screenshot(preview, `${database.name}-preview`);
    await preview.close();

    // 6. Roll back to version 1 and see the new version (3), current.
    await page.getByRole('navigation', { name: 'Project' }).getByRole('link', { name: 'Versions' }).click();
    await timeline.getByRole('button', { name: 'Roll back to version 1' }).click();
    await page.getByRole('status').filter({ hasText: 'Rolled back: version 3 has version 1’s files.' }).waitFor();
    const newest = timeline.locator('li').first();
    await newest.getByRole('button', { name: 'Version 3', exact: true }).waitFor();
    expect(await newest.textContent()).toContain('current');
    // The tab opened anew, in the unified layout.
    await diff.locator('tr.add', { hasText: '<h1>Hello console</h1>' }).waitFor();
    await shot(page, 'versions-rolled-back');

    // Someone else moves first: the page still believes version 3 is current, so its rollback is refused with the API's message.
    const versions = await server.api('GET', `/v1/projects/${projectId}/versions`);
    const version3 = versions.items[0];
    await server.api('POST', `/v1/projects/${projectId}/versions`, { parentVersionId: version3.id, message: 'elsewhere', changes: [{ type: 'write', path: 'other.txt', content: 'x' }] });
    await timeline.getByRole('button', { name: 'Roll back to version 2' }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'CONFLICT' });
    await alert.waitFor();
    await shot(page, 'versions-conflict');

    // Data and audit pages.
    const table = await server.api('POST', `/v1/projects/${projectId}/tables`, { name: 'todos', columns: [{ name: 'title', type: 'string', required: true }, { name: 'done', type: 'boolean' }] });
    await server.api('POST', `/v1/tables/${table.id}/rows`, { data: { title: 'Ship the console', done: false } });
    await page.getByRole('navigation', { name: 'Project' }).getByRole('link', { name: 'Data' }).click();
    await page.getByRole('cell', { name: '"Ship the console"' }).waitFor();
    await shot(page, 'data');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit' }).click();
    await page.getByRole('cell', { name: 'project.create' }).waitFor();
    await page.getByLabel('Action').fill('project.create');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => page.locator('tbody tr').count()).toBe(1);
    await shot(page, 'audit');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Projects' }).click();
    await page.getByRole('link', { name: 'Landing page' }).waitFor();
    await shot(page, 'projects');

    // Reloading a deep link serves the app again (SPA fallback) and the tab's key still signs in.
    await page.goto(`${base}/console/projects/${projectId}/versions`);
    await timeline.getByRole('button', { name: 'Version 4', exact: true }).waitFor();
    expect(pageErrors).toEqual([]);
  }, 120_000);

  it('catches up after the event stream drops mid-job, without repeating any text', async () => {
    if (skipWithoutChromium()) return;
    server = await startConsoleServer(database);
    const { base, key, gates, eventRequests } = server;
    const project = await server.api('POST', '/v1/projects', { name: 'Flaky network' });
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    await signIn(page, base, key);
    await page.goto(`${base}/console/projects/${project.id}/chat`);

    gates.closed.add(1);
    await page.getByLabel('Message to the agent').fill('Hello console');
    await page.getByRole('button', { name: 'Send' }).click();
    const job = page.getByRole('region', { name: 'Agent job' });
    const text = job.getByTestId('job-text');
    await expect.poll(() => text.textContent(), { timeout: 15_000 }).toBe('Writing the page ');
    const seenBeforeDrop = Number(await job.getAttribute('data-last-sequence'));
    expect(seenBeforeDrop).toBeGreaterThan(0);

    // Drop the connection under the page, as a flaky network would, and let the job go on meanwhile.
    expect(eventRequests).toHaveLength(1);
    eventRequests[0]?.socket.destroy();
    gates.open(1);
    await expect.poll(() => eventRequests.length, { timeout: 15_000 }).toBeGreaterThanOrEqual(2);
    const resumed = eventRequests[1];
    const resumedFrom = Number(resumed?.headers['last-event-id'] ?? new URL(resumed?.url ?? '', base).searchParams.get('lastEventId'));
    expect(resumedFrom).toBe(seenBeforeDrop);

    await expect.poll(() => job.locator('.badge').first().textContent(), { timeout: 20_000 }).toBe('done');
    expect(await text.textContent()).toBe('Writing the page with “Hello console”.');
    const jobId = await job.getAttribute('data-job-id');
    const events = await server.api('GET', `/v1/jobs/${jobId}/events`);
    expect(Number(await job.getAttribute('data-last-sequence'))).toBe(events.items.at(-1).sequence);
    expect(await job.getByRole('list', { name: 'Changed files' }).locator('li').count()).toBe(1);
    await screenshot(page, `${database.name}-chat-resumed`);
  }, 60_000);

  it('cancels a running job, publishes, deploys to production, destroys a preview and deletes the project', async () => {
    if (skipWithoutChromium()) return;
    server = await startConsoleServer(database);
    const { base, key, gates } = server;
    const project = await server.api('POST', '/v1/projects', { name: 'Short-lived' });
    await server.api('POST', `/v1/projects/${project.id}/versions`, { parentVersionId: null, files: [{ path: 'index.html', content: '<h1>One</h1>' }], message: 'v1' });
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    await signIn(page, base, key);

    // Cancel a job the model holds at its gate: the page shows it cancelled, and so does the API.
    await page.goto(`${base}/console/projects/${project.id}/chat`);
    gates.closed.add(1);
    await page.getByLabel('Message to the agent').fill('Never mind');
    await page.getByRole('button', { name: 'Send' }).click();
    const job = page.getByRole('region', { name: 'Agent job' });
    await job.getByRole('button', { name: 'Cancel job' }).click();
    gates.open(1);
    await expect.poll(() => job.locator('.badge').first().textContent(), { timeout: 15_000 }).toBe('cancelled');
    const jobId = await job.getAttribute('data-job-id');
    expect((await server.api('GET', `/v1/jobs/${jobId}`)).status).toBe('cancelled');

    // Publish version 1 from the timeline.
    await page.getByRole('navigation', { name: 'Project' }).getByRole('link', { name: 'Versions' }).click();
    await page.getByRole('button', { name: 'Publish version 1' }).click();
    await page.getByText('Published version 1.').waitFor();
    expect((await server.api('GET', `/v1/projects/${project.id}`)).publishedVersionId).toBeTruthy();

    // Deploy to production and a preview; destroy the preview.
    await page.getByRole('navigation', { name: 'Project' }).getByRole('link', { name: 'Deployments' }).click();
    await page.getByRole('button', { name: 'Deploy to production' }).click();
    await expect.poll(async () => (await server?.api('GET', `/v1/projects/${project.id}/deployments?environment=production`))?.items?.[0]?.status, { timeout: 20_000 }).toBe('live');
    await page.getByRole('button', { name: 'Deploy preview' }).click();
    await page.getByRole('link', { name: 'Open preview' }).first().waitFor({ timeout: 20_000 });
    const previews = page.getByRole('table', { name: 'Preview deployments' });
    const previewId = await previews.locator('tbody tr').filter({ has: page.getByRole('link', { name: 'Open preview' }) }).first().getAttribute('data-deployment-id');
    expect(previewId).toBeTruthy();
    await page.locator(`tr[data-deployment-id="${previewId}"]`).getByRole('button', { name: 'Destroy' }).click();
    await expect.poll(async () => (await server?.api('GET', `/v1/deployments/${previewId}`))?.status, { timeout: 15_000 }).toBe('destroyed');
    await expect.poll(() => page.locator(`tr[data-deployment-id="${previewId}"] .badge`).textContent(), { timeout: 15_000 }).toBe('destroyed');

    // Delete the project after confirming: gone from the list and from the API.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Projects' }).click();
    await page.getByRole('button', { name: 'Delete Short-lived' }).click();
    await page.getByRole('button', { name: 'Yes, delete' }).click();
    await expect.poll(() => page.getByRole('link', { name: 'Short-lived' }).count(), { timeout: 15_000 }).toBe(0);
    await expect(server.api('GET', `/v1/projects/${project.id}`)).rejects.toThrow(/404/);
    await screenshot(page, `${database.name}-projects-after-delete`);
  }, 120_000);
});
