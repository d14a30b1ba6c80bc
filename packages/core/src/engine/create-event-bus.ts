import mittImport, { type Emitter } from 'mitt';
import type { VectorEvents } from './vector-events.js';

// mitt ships CommonJS-style typings, so under NodeNext its default import is typed as the
// module object although at run time (ESM) it is the factory itself.
const mitt = mittImport as unknown as <Events extends Record<string | symbol, unknown>>() => Emitter<Events>;

/** A fresh in-process event bus for one engine. */
export function createEventBus(): Emitter<VectorEvents> {
  return mitt<VectorEvents>();
}
