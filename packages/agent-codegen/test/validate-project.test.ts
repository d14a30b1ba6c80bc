import { createAgentTestContext } from '@vector/core/testing';
import { describe, expect, it } from 'vitest';
import { validateProject } from '../src/validate-project.js';
import { WorkingCopy } from '../src/working-copy.js';

const copyOf = (files: Record<string, string>) => new WorkingCopy(createAgentTestContext({ message: 'x', files: Object.entries(files).map(([path, content]) => ({ path, content })) }).files);

describe('validateProject', () => {
  it('is not_run for a project without code', async () => {
    expect(await validateProject(copyOf({ 'README.md': '# hi', 'notes/a.txt': 'x' }))).toMatchObject({ status: 'not_run', errors: [] });
  });

  it('resolves the @/ alias, tsconfig paths and ./x.js → x.ts', async () => {
    const result = await validateProject(copyOf({
      'tsconfig.json': '{ /* comment */ "compilerOptions": { "baseUrl": ".", "paths": { "~lib/*": ["lib/*"] } } }',
      'src/index.ts': "import { a } from '@/a';\nimport { b } from '~lib/b';\nimport { c } from './c.js';\nconsole.log(a, b, c);\n",
      'src/a.ts': 'export const a = 1;',
      'lib/b.ts': 'export const b = 2;',
      'src/c.ts': 'export const c = 3;',
    }));
    expect(result).toMatchObject({ status: 'passed', entries: ['src/index.ts'] });
  });

  it('externalises node built-ins for node projects and rejects them in the browser', async () => {
    const server = await validateProject(copyOf({ 'package.json': '{"main":"server.js"}', 'server.js': "import { createServer } from 'node:http';\nimport fs from 'fs';\nconsole.log(createServer, fs);\n" }));
    expect(server).toMatchObject({ status: 'passed', entries: ['server.js'] });
    const browser = await validateProject(copyOf({ 'index.html': '<script type="module" src="./app.js"></script>', 'app.js': "import fs from 'fs';\nconsole.log(fs);\n" }));
    expect(browser.status).toBe('failed');
    expect(browser.errors[0]).toContain('Node.js built-in');
  });

  it('reports syntax errors, a missing script and invalid package.json with locations', async () => {
    const result = await validateProject(copyOf({ 'index.html': '<script type="module" src="/src/missing.ts"></script>', 'package.json': '{ nope', 'src/main.ts': 'const = 1;' }));
    expect(result.status).toBe('failed');
    expect(result.errors.join('\n')).toContain('package.json: invalid JSON');
    expect(result.errors.join('\n')).toContain('points to a file that does not exist (src/missing.ts)');
    const syntax = await validateProject(copyOf({ 'src/main.ts': 'export const x = ;\n' }));
    expect(syntax.errors[0]).toMatch(/^src\/main\.ts:1:\d+: /);
  });

  const html = '<!doctype html><script type="module" src="/src/main.ts"></script>';

  it('lets a listed npm package named like a Node built-in win over the built-in rule', async () => {
    const result = await validateProject(copyOf({
      'index.html': html,
      'package.json': JSON.stringify({ dependencies: { events: '^3.3.0', buffer: '^6.0.3', util: '^0.12.5', url: '^0.11.4', assert: '^2.1.0', process: '^0.11.10', punycode: '^2.3.1' } }),
      'src/main.ts': "import { EventEmitter } from 'events';\nimport { Buffer } from 'buffer';\nimport util from 'util';\nimport url from 'url';\nimport assert from 'assert';\nimport process from 'process';\nimport punycode from 'punycode';\nconsole.log(new EventEmitter(), Buffer.from('x'), util, url, assert, process, punycode);\n",
    }));
    expect(result).toMatchObject({ status: 'passed', errors: [] });
    // Unlisted, the browser build still refuses the built-in, and node: never means the npm package.
    const unlisted = await validateProject(copyOf({ 'index.html': html, 'package.json': JSON.stringify({ dependencies: { events: '^3.3.0' } }), 'src/main.ts': "import { Buffer } from 'buffer';\nimport { EventEmitter } from 'node:events';\nconsole.log(Buffer, EventEmitter);\n" }));
    expect(unlisted.status).toBe('failed');
    expect(unlisted.errors.join('\n')).toContain('"buffer" is a Node.js built-in');
    expect(unlisted.errors.join('\n')).toContain('"node:events" is a Node.js built-in');
  });

  it('falls back to package resolution when a tsconfig paths catch-all has no such file', async () => {
    const result = await validateProject(copyOf({
      'index.html': html,
      'tsconfig.json': JSON.stringify({ compilerOptions: { baseUrl: '.', paths: { '*': ['src/types/*'] } } }),
      'package.json': JSON.stringify({ dependencies: { react: '^19.0.0' } }),
      'src/types/shared.ts': 'export const shared = 1;',
      'src/main.ts': "import React from 'react';\nimport { shared } from 'shared';\nconsole.log(React, shared);\n",
    }));
    expect(result).toMatchObject({ status: 'passed', errors: [] });
    const missing = await validateProject(copyOf({ 'index.html': html, 'tsconfig.json': JSON.stringify({ compilerOptions: { paths: { '~/*': ['lib/*'] } } }), 'src/main.ts': "import { x } from '~/nope';\nconsole.log(x);\n" }));
    expect(missing.status).toBe('failed');
    expect(missing.errors[0]).toContain('no file lib/nope for the tsconfig path alias "~/*"');
  });

  it('matches tsconfig paths by longest prefix, exact names first, trying each target in order', async () => {
    const result = await validateProject(copyOf({
      'index.html': html,
      'tsconfig.json': JSON.stringify({ compilerOptions: { paths: { '@/*': ['src/*'], '@/ui/*': ['packages/ui/*'], 'config': ['settings/config.ts'], '#lib/*': ['missing/*', 'lib/*'] } } }),
      'packages/ui/button.ts': 'export const button = 1;',
      'settings/config.ts': 'export const config = 2;',
      'lib/tool.ts': 'export const tool = 3;',
      'src/main.ts': "import { button } from '@/ui/button';\nimport { config } from 'config';\nimport { tool } from '#lib/tool';\nconsole.log(button, config, tool);\n",
    }));
    expect(result).toMatchObject({ status: 'passed', errors: [] });
  });
});
