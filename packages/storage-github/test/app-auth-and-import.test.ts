import { generateKeyPairSync } from 'node:crypto';
import { decodeText, encodeText, NotFoundError, ValidationError } from '@vector/core';
import { describe, expect, it } from 'vitest';
import { createGitHubStorage } from '../src/index.js';
import { author, fakeStorage, newProject, useFakeGitHub } from './storage-fixture.js';

const fake = useFakeGitHub();

describe('GitHub App installation auth', () => {
  it('mints an installation token with a signed JWT and uses it for every call', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    fake.app = { appId: '4242', publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), installationId: 77 };
    const storage = fakeStorage(fake, { auth: { appId: 4242, privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), installationId: 77 } });
    const project = newProject();
    await storage.createProject?.({ project });
    const { ref } = await storage.saveVersion({ project, parentRef: null, changes: [{ type: 'write', path: 'a.txt', content: encodeText('from an app') }], message: 'v1', author });
    expect(decodeText((await storage.getFile({ project, ref, path: 'a.txt' }))?.content ?? new Uint8Array())).toBe('from an app');
    expect(fake.requests.filter((request) => request.path === '/app/installations/77/access_tokens')).toHaveLength(1);
  });

  it('fails with a ProviderError when the App key does not match', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const storage = fakeStorage(fake, { auth: { appId: 4242, privateKey: other, installationId: 77 } });
    await expect(storage.createProject?.({ project: newProject() })).rejects.toMatchObject({ code: 'PROVIDER_ERROR', status: 401 });
  });
});

describe('options', () => {
  it('needs credentials and an owner, reading GITHUB_* env fallbacks', () => {
    expect(() => createGitHubStorage({ owner: 'acme', env: {} })).toThrow(ValidationError);
    expect(() => createGitHubStorage({ env: { GITHUB_TOKEN: 'x' } })).toThrow(ValidationError);
    const storage = createGitHubStorage({ env: { GITHUB_TOKEN: 'x', GITHUB_OWNER: 'acme' } });
    expect(storage.capabilities).toEqual({ binary: true, garbageCollection: false, gitSource: true, maxFileBytes: 100 * 1024 * 1024 - 1024 * 1024, externalChanges: true, importRepository: true });
    expect(() => createGitHubStorage({ auth: { token: 'x' }, owner: 'acme', env: {}, branch: 'bad..branch' })).toThrow(ValidationError);
    expect(() => createGitHubStorage({ auth: { token: 'x' }, owner: 'acme', env: {}, maxFileBytes: 200 * 1024 * 1024 })).toThrow(ValidationError);
  });
});

describe('importRepository', () => {
  it("imports a repository's branch as the project's first version", async () => {
    const source = fake.createRepository('acme', 'existing-app', { files: { 'package.json': '{"name":"app"}\n', 'src/main.ts': 'console.log(1);\n', 'logo.bin': Buffer.from([0, 255, 1]) } });
    fake.commitFiles(source, 'main', { 'src/main.ts': 'console.log(2);\n' }, 'second commit');
    const storage = fakeStorage(fake, { allowProjectRepositories: true });
    const project = newProject();
    await storage.createProject?.({ project });
    const { ref } = await storage.importRepository({ project, owner: 'acme', repository: 'existing-app' });
    const files = await storage.getFiles({ project, ref });
    expect(files.map((file) => file.path)).toEqual(['logo.bin', 'package.json', 'src/main.ts']);
    expect(decodeText(files[2]?.content ?? new Uint8Array())).toBe('console.log(2);\n');
    expect([...(files[0]?.content ?? [])]).toEqual([0, 255, 1]);
    const next = await storage.saveVersion({ project, parentRef: ref, changes: [{ type: 'delete', path: 'logo.bin' }], message: 'v2', author });
    expect((await storage.listFiles({ project, ref: next.ref })).map((file) => file.path)).toEqual(['package.json', 'src/main.ts']);
  });

  it('is a NotFoundError for an unknown repository or ref', async () => {
    const storage = fakeStorage(fake, { allowProjectRepositories: true });
    const project = newProject();
    await storage.createProject?.({ project });
    await expect(storage.importRepository({ project, owner: 'acme', repository: 'nope' })).rejects.toBeInstanceOf(NotFoundError);
    fake.createRepository('acme', 'has-main', { autoInit: true });
    await expect(storage.importRepository({ project, owner: 'acme', repository: 'has-main', ref: 'no-such-branch' })).rejects.toBeInstanceOf(NotFoundError);
  });
});
