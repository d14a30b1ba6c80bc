/**
 * `@vector/provider-render`: deploy Vector code versions to Render through its REST API v1.
 * @packageDocumentation
 */
export { createRenderProvider, RENDER_MARKER_ENV, type RenderProvider } from './create-render-provider.js';
export type { RenderProviderOptions, RenderRegion, RenderRuntime } from './render-provider-options.js';
