import { agentConformance, createAgentTestContext } from '@vector/core/testing';
import type { AgentEvent } from '@vector/core';
import { describe, expect, it } from 'vitest';
import { createFormatterAgent, formatFile } from './index.js';

// `long-running` pauses per file so the kit can cancel the run after its first event.
agentConformance({
  name: 'formatter (example)',
  create: async (scenario) => ({
    agent: createFormatterAgent(scenario === 'long-running' ? { delayPerFileMs: 200 } : {}),
    files: [
      { path: 'index.html', content: '<h1>Hi</h1>   \r\n' },
      { path: 'package.json', content: '{"name":"app","dependencies":{"zod":"4","diff":"9"}}' },
      { path: 'README.md', content: '# App\n' },
    ].map((file) => ({ path: file.path, content: new TextEncoder().encode(file.content) })),
  }),
});

describe('formatFile', () => {
  it('normalises line endings, trailing whitespace and the final newline', () => {
    expect(formatFile('a.js', 'let a = 1;  \r\nlet b = 2;\t\r\n\n\n')).toEqual({
      text: 'let a = 1;\nlet b = 2;\n',
      fixes: ['converted CRLF line endings to LF', 'trimmed trailing whitespace on 2 lines', 'ended the file with exactly one newline'],
    });
    expect(formatFile('a.js', 'ok\n')).toEqual({ text: 'ok\n', fixes: [] });
    expect(formatFile('empty.txt', '')).toEqual({ text: '', fixes: [] });
  });

  it('keeps Markdown hard line breaks', () => {
    expect(formatFile('README.md', 'line one  \nline two\n').fixes).toEqual([]);
  });

  it('sorts package.json dependency maps and leaves a broken one alone', () => {
    const { text, fixes } = formatFile('package.json', '{"name":"app","devDependencies":{"b":"1","a":"1"}}');
    expect(text).toBe('{\n  "name": "app",\n  "devDependencies": {\n    "a": "1",\n    "b": "1"\n  }\n}\n');
    expect(fixes).toEqual(['sorted devDependencies']);
    expect(formatFile('package.json', '{ broken\n')).toEqual({ text: '{ broken\n', fixes: [] });
  });
});

describe('createFormatterAgent', () => {
  const runAll = async (files: Array<{ path: string; content: string | Uint8Array }>) => {
    const events: AgentEvent[] = [];
    for await (const event of createFormatterAgent().run(createAgentTestContext({ message: 'tidy up', files }))) events.push(event);
    return events;
  };

  it('changes only the files that need it and reports each fix', async () => {
    const events = await runAll([
      { path: 'clean.js', content: 'ok\n' },
      { path: 'dirty.js', content: 'x  \n' },
      { path: 'image.png', content: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0]) },
    ]);
    const result = events.at(-1);
    expect(result).toMatchObject({ type: 'result', commitMessage: 'Format 1 file', changes: [{ type: 'write', path: 'dirty.js', content: 'x\n' }] });
    expect(result?.type === 'result' && result.summary).toContain('dirty.js: trimmed trailing whitespace on 1 line');
    expect(events).toContainEqual({ type: 'file_changed', path: 'dirty.js', change: 'modified' });
    expect(events).toContainEqual({ type: 'log', level: 'debug', message: 'skipped image.png: binary' });
  });

  it('returns no changes for an already formatted project', async () => {
    expect((await runAll([{ path: 'a.txt', content: 'fine\n' }])).at(-1)).toMatchObject({ type: 'result', changes: [], commitMessage: 'Format: nothing to change' });
  });

  it('rejects invalid options with VALIDATION_FAILED', () => {
    expect(() => createFormatterAgent({ delayPerFileMs: -1 })).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });
});
