/** The shapes of Railway's GraphQL answers the provider reads (as `render-types.ts` for Render). */

/** A Relay connection as Railway returns it. */
export interface RailwayConnection<T> {
  edges: Array<{ node: T }>;
  pageInfo?: { hasNextPage: boolean; endCursor: string | null };
}

/** A Railway project with the ids the provider needs. */
export interface RailwayProject {
  id: string;
  name: string;
  environments: RailwayConnection<{ id: string; name: string }>;
}

/** A Railway deployment's fields the provider reads. */
export interface RailwayDeployment {
  id: string;
  status: string;
  serviceId: string | null;
  staticUrl: string | null;
  createdAt: string;
}

/** A branch trigger: Railway deploys the service on every push to `branch` of `repository`. */
export interface RailwayDeploymentTrigger {
  id: string;
  repository: string;
  branch: string;
}

/** A Railway log line. */
export interface RailwayLog {
  timestamp: string;
  message: string;
  severity: string | null;
}
