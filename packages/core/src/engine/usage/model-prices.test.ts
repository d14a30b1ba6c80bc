import { describe, expect, it } from 'vitest';
import { createPriceTable, defaultModelPrices } from './model-prices.js';

describe('createPriceTable', () => {
  const mine = { 'odd-model': { input: 0.37, cachedInput: 0.0123, output: 1.93 } };

  it('prices a dated snapshot as its model, unless the snapshot has an entry of its own', () => {
    const table = createPriceTable(mine, {});
    expect(table.priceOf('odd-model-2026-03-17')).toEqual(mine['odd-model']);
    expect(table.priceOf('odd-model')).toEqual(mine['odd-model']);
    // Only a full date at the end is a snapshot.
    expect(table.priceOf('odd-model-2026-03')).toBeNull();
    expect(table.priceOf('odd-model-v2')).toBeNull();
    const own = { input: 1, output: 2 };
    expect(createPriceTable({ ...mine, 'odd-model-2026-03-17': own }, {}).priceOf('odd-model-2026-03-17')).toEqual(own);
  });

  it('lays given prices over the defaults, and knows no model when given neither', () => {
    expect(createPriceTable().priceOf('gpt-4o-2024-08-06')).toEqual(defaultModelPrices['gpt-4o']);
    expect(createPriceTable({ 'gpt-4o': { input: 9, output: 9 } }).priceOf('gpt-4o')).toEqual({ input: 9, output: 9 });
    expect(createPriceTable(mine).priceOf('gpt-5')).toEqual(defaultModelPrices['gpt-5']);
    expect(createPriceTable({}, {}).priceOf('gpt-4o')).toBeNull();
    expect(createPriceTable({}, {}).costOf('gpt-4o', { promptTokens: 1, completionTokens: 1, totalTokens: 2 })).toBeNull();
  });
});
