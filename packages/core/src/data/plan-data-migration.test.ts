import { describe, expect, it } from 'vitest';
import { convertValue, isNarrowing } from './column-values.js';
import { dataSchemaSchema } from './data-schema.js';
import { planDataMigration } from './plan-data-migration.js';

const schema = (tables: Record<string, unknown>) => dataSchemaSchema.parse({ tables });

describe('planDataMigration', () => {
  it('creates everything from nothing, and plans nothing for the same schema', () => {
    const target = schema({ a: { columns: { x: { type: 'string' } } } });
    expect(planDataMigration({ tables: {} }, target)).toEqual({ steps: [{ op: 'create_table', table: 'a', destructive: false }], destructive: false, rows: [] });
    expect(planDataMigration(target, target).steps).toEqual([]);
  });

  it('tells renames from drops and adds by renamedFrom, and marks what can lose data', () => {
    const current = schema({ old: { columns: { a: { type: 'string' }, b: { type: 'integer' }, c: { type: 'string' }, gone: { type: 'json' } } }, dropped: { columns: { z: { type: 'string' } } } });
    const target = schema({ renamed: { renamedFrom: 'old', columns: { a2: { type: 'string', renamedFrom: 'a' }, b: { type: 'number' }, c: { type: 'integer', required: true }, added: { type: 'boolean', default: true } } } });
    const plan = planDataMigration(current, target);
    expect(plan.steps.map((step) => [step.op, step.destructive])).toEqual([
      ['rename_table', false],
      ['rename_column', false],
      ['change_type', false],
      ['change_type', true],
      ['change_required', false],
      ['add_column', false],
      ['drop_column', true],
      ['drop_table', true],
    ]);
    expect(plan.destructive).toBe(true);
    expect(plan.rows).toEqual([{ from: 'old', table: 'renamed', sources: { a2: 'a', b: 'b', c: 'c', added: null } }]);
  });

  it('refuses schema files that contradict themselves', () => {
    expect(dataSchemaSchema.safeParse({ tables: { t: { columns: { a: { type: 'string', renamedFrom: 'b' }, b: { type: 'string' } } } } }).success).toBe(false);
    expect(dataSchemaSchema.safeParse({ tables: { t: { columns: { a: { type: 'integer', default: 1.5 } } } } }).success).toBe(false);
    expect(dataSchemaSchema.safeParse({ tables: { t: { columns: { a: { type: 'string' } }, indexes: [{ columns: ['nope'] }] } } }).success).toBe(false);
    expect(dataSchemaSchema.safeParse({ tables: { t: { columns: {} } } }).success).toBe(false);
    expect(dataSchemaSchema.safeParse({ tables: { 'bad name': { columns: { a: { type: 'string' } } } } }).success).toBe(false);
  });
});

describe('convertValue', () => {
  it('converts what keeps its meaning and refuses what does not fit', () => {
    expect(convertValue(3, 'integer', 'number')).toEqual({ ok: true, value: 3 });
    expect(convertValue(true, 'boolean', 'integer')).toEqual({ ok: true, value: 1 });
    expect(convertValue({ a: 1 }, 'json', 'string')).toEqual({ ok: true, value: '{"a":1}' });
    expect(convertValue(' 12 ', 'string', 'integer')).toEqual({ ok: true, value: 12 });
    expect(convertValue('1.5', 'string', 'integer')).toMatchObject({ ok: false });
    expect(convertValue('true', 'string', 'boolean')).toEqual({ ok: true, value: true });
    expect(convertValue('2026-12-01', 'string', 'datetime')).toEqual({ ok: true, value: '2026-12-01T00:00:00.000Z' });
    expect(convertValue('soon', 'string', 'datetime')).toMatchObject({ ok: false });
    expect(isNarrowing('integer', 'number')).toBe(false);
    expect(isNarrowing('number', 'integer')).toBe(true);
    expect(isNarrowing('string', 'json')).toBe(false);
    expect(isNarrowing('json', 'boolean')).toBe(true);
  });
});
