/**
 * `@vector/example-custom-provider`: a Vector deployment provider that runs each deployment
 * as a local Node child process.
 * @packageDocumentation
 */
export { createNodeProcessProvider, type NodeProcessProviderOptions } from './create-node-process-provider.js';
