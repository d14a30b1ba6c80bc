import { describe, expect, it } from 'vitest';
import { findUnsafeInput, isFileContentPath } from './find-unsafe-input.js';

describe('findUnsafeInput', () => {
  it('finds NUL bytes and lone surrogates in values and keys, naming the path', () => {
    expect(findUnsafeInput({ name: 'ok', tags: ['a', 'b\u0000c'] })).toEqual({ path: ['tags', 1], message: expect.stringMatching(/NUL/) });
    expect(findUnsafeInput({ where: { title: 'x\uD800' } })).toEqual({ path: ['where', 'title'], message: expect.stringMatching(/surrogate/) });
    expect(findUnsafeInput({ 'bad\u0000key': 1 })?.path).toEqual(['bad\u0000key']);
    expect(findUnsafeInput('\uDC00')?.path).toEqual([]);
    expect(findUnsafeInput({ emoji: '🦄 ö', nested: [{ a: null, b: 1, c: true }] })).toBeNull();
  });

  it('refuses nesting past the limit without recursion, however deep', () => {
    let deep: unknown = 'leaf';
    for (let level = 0; level < 100_000; level += 1) deep = [deep];
    expect(findUnsafeInput(deep)?.message).toMatch(/deeper than 64/);
    let fine: unknown = 'leaf';
    for (let level = 0; level < 60; level += 1) fine = { a: fine };
    expect(findUnsafeInput(fine)).toBeNull();
    // A cycle ends at the limit too.
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(findUnsafeInput(cycle)?.message).toMatch(/deeper/);
  });

  it('lets file content carry any bytes, and skips class instances', () => {
    const input = { files: [{ path: 'a.bin', content: 'x\u0000y\uD800' }], changes: [{ type: 'write', path: 'b', content: '\u0000' }] };
    expect(findUnsafeInput(input, { isBinaryText: isFileContentPath })).toBeNull();
    expect(findUnsafeInput({ files: [{ path: 'a\u0000', content: 'x' }] }, { isBinaryText: isFileContentPath })?.path).toEqual(['files', 0, 'path']);
    expect(findUnsafeInput({ message: '\u0000' }, { isBinaryText: isFileContentPath })?.path).toEqual(['message']);
    expect(findUnsafeInput({ client: new (class Client { text = '\u0000'; })(), bytes: new Uint8Array([0]) })).toBeNull();
  });
});
