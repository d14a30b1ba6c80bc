/**
 * `@vector/provider-railway`: deploys Vector code versions to Railway through its public
 * GraphQL API.
 * @packageDocumentation
 */
export { createRailwayProvider, RAILWAY_MARKER_VARIABLE, type RailwayProvider } from './create-railway-provider.js';
export { RAILWAY_API_URL, type RailwayProviderOptions } from './railway-provider-options.js';
export { mapRailwayStatus, RAILWAY_DEPLOYMENT_STATUSES, type RailwayDeploymentStatus } from './map-railway-status.js';
