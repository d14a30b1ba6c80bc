import type { TokenUsage } from '../../schemas/agent-event.js';
import type { ModelPrice } from '../../schemas/agent-step.js';

/**
 * Default prices of common OpenAI models, US dollars per million tokens (input, cached input,
 * output), as OpenAI listed them in 2026 (cross-checked against LiteLLM's price table). Prices
 * change: set `modelPrices` in `createVector` to yours; entries there win over these.
 */
export const defaultModelPrices: Readonly<Record<string, ModelPrice>> = Object.freeze({
  'gpt-4o': { input: 2.5, cachedInput: 1.25, output: 10 },
  'gpt-4o-mini': { input: 0.15, cachedInput: 0.075, output: 0.6 },
  'gpt-4.1': { input: 2, cachedInput: 0.5, output: 8 },
  'gpt-4.1-mini': { input: 0.4, cachedInput: 0.1, output: 1.6 },
  'gpt-4.1-nano': { input: 0.1, cachedInput: 0.025, output: 0.4 },
  'gpt-5': { input: 1.25, cachedInput: 0.125, output: 10 },
  'gpt-5-mini': { input: 0.25, cachedInput: 0.025, output: 2 },
  'gpt-5-nano': { input: 0.05, cachedInput: 0.005, output: 0.4 },
  o1: { input: 15, cachedInput: 7.5, output: 60 },
  o3: { input: 2, cachedInput: 0.5, output: 8 },
  'o3-mini': { input: 1.1, cachedInput: 0.55, output: 4.4 },
  'o4-mini': { input: 1.1, cachedInput: 0.275, output: 4.4 },
});

/** Looks up models' prices. */
export interface PriceTable {
  /** The model's prices, or null when none is known (its cost is then null, never 0). */
  priceOf(model: string): ModelPrice | null;
  /** What `usage` of `model` costs in US dollars; null when the model has no known price. */
  costOf(model: string, usage: TokenUsage): number | null;
}

// A dated snapshot (`gpt-4o-2024-08-06`) is priced as its model unless it has its own entry.
const datedSnapshot = /-\d{4}-\d{2}-\d{2}$/;

/** A price table: `prices` over the defaults (pass `defaults: {}` to use only yours). */
export function createPriceTable(prices: Readonly<Record<string, ModelPrice>> = {}, defaults: Readonly<Record<string, ModelPrice>> = defaultModelPrices): PriceTable {
  const table = new Map<string, ModelPrice>([...Object.entries(defaults), ...Object.entries(prices)]);
  const priceOf = (model: string): ModelPrice | null => table.get(model) ?? table.get(model.replace(datedSnapshot, '')) ?? null;
  return {
    priceOf,
    costOf(model, usage) {
      const price = priceOf(model);
      return price === null ? null : costOfUsage(price, usage);
    },
  };
}

/**
 * What `usage` costs at `price`: uncached prompt tokens at the input rate, cached ones at the
 * cached-input rate (the input rate when none is set), completion tokens at the output rate.
 */
export function costOfUsage(price: ModelPrice, usage: TokenUsage): number {
  const cached = Math.min(usage.cachedTokens ?? 0, usage.promptTokens);
  return ((usage.promptTokens - cached) * price.input + cached * (price.cachedInput ?? price.input) + usage.completionTokens * price.output) / 1_000_000;
}
