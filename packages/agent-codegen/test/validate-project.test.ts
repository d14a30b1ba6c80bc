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
});
