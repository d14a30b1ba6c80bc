import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WARNING_CODES } from './warning-code.js';

const root = join(import.meta.dirname, '../../../..');

/** The codes of every `emit('warning', …)` in core's sources. */
function emittedCodes(): Set<string> {
  const codes = new Set<string>();
  const sources = readdirSync(join(root, 'packages/core/src'), { recursive: true, encoding: 'utf8' }).filter((path) => path.endsWith('.ts') && !path.endsWith('.test.ts'));
  for (const path of sources) {
    const text = readFileSync(join(root, 'packages/core/src', path), 'utf8');
    for (const match of text.matchAll(/emit\('warning',[\s\S]{0,200}?code: '([A-Z_]+)'/g)) codes.add(match[1]!);
  }
  return codes;
}

describe('warning codes', () => {
  it('lists every code the engine emits', () => {
    const emitted = emittedCodes();
    expect(emitted.size).toBeGreaterThan(0);
    for (const code of emitted) expect(WARNING_CODES, code).toContain(code);
  });

  it('are each documented in docs/errors.md', () => {
    const docs = readFileSync(join(root, 'docs/errors.md'), 'utf8');
    for (const code of WARNING_CODES) expect(docs, code).toContain(`\`${code}\``);
  });
});
