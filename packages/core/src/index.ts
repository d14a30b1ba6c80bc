/**
 * `@vector/core`: the contracts, plugin interfaces and engine of Vector.
 * @packageDocumentation
 */
export * from './errors/index.js';
export * from './schemas/index.js';
export * from './files/index.js';
export * from './build/index.js';
export * from './data/index.js';
export * from './plugins/index.js';
export * from './db/index.js';
export * from './reference/index.js';
export * from './helpers/index.js';
export type { VectorEvents, VectorEventBus, VectorEventScope } from './engine/vector-events.js';
export type { JobQueue, JobHandler } from './engine/jobs/job-queue.js';
export type * from './engine/vector-types.js';
export { createVector, type VectorOptions } from './engine/create-vector.js';
export { type TelemetryOptions, VECTOR_TRACER_NAME } from './engine/telemetry/engine-telemetry.js';
export { createInProcessQueue } from './engine/jobs/in-process-queue.js';
export { createEventBus } from './engine/create-event-bus.js';
export type { CoreDatabase } from './engine/store/database-schema.js';
export type { RuntimeDataApi, RuntimeDataRow, RuntimeDataTable } from './engine/data/runtime-data-api.js';
export type { DataTokenPrincipal } from './engine/data/data-tokens.js';
export { costOfUsage, createPriceTable, defaultModelPrices, type PriceTable } from './engine/usage/model-prices.js';
