/**
 * The slice of Render's REST API v1 shapes this provider reads. Field names follow Render's
 * public OpenAPI description (as used by the official CLI); only what we use is typed.
 */

/** Render's deploy status enum. */
export type RenderDeployStatus =
  | 'created'
  | 'queued'
  | 'build_in_progress'
  | 'update_in_progress'
  | 'pre_deploy_in_progress'
  | 'live'
  | 'deactivated'
  | 'build_failed'
  | 'update_failed'
  | 'pre_deploy_failed'
  | 'canceled';

/** A Render service (`GET /v1/services/{id}`). */
export interface RenderService {
  id: string;
  name: string;
  slug?: string;
  type: string;
  ownerId: string;
  repo?: string | null;
  branch?: string | null;
  /** `yes` or `no`; Render defaults to `yes` when a create omits it. */
  autoDeploy?: string;
  /** `off`, `commit` or `checksPass`; newer than `autoDeploy`, and wins over it when present. */
  autoDeployTrigger?: string;
  suspended?: 'suspended' | 'not_suspended';
  dashboardUrl?: string;
  serviceDetails?: {
    url?: string | null;
    /** Static sites. */
    buildCommand?: string | null;
    publishPath?: string | null;
    /** Native-runtime web services. */
    envSpecificDetails?: { buildCommand?: string | null; startCommand?: string | null } | null;
  } & Record<string, unknown>;
}

/** A Render deploy (`GET /v1/services/{id}/deploys/{deployId}`). */
export interface RenderDeploy {
  id: string;
  status: string;
  trigger?: string;
  commit?: { id: string; message?: string; createdAt?: string } | null;
  createdAt: string;
  updatedAt?: string;
  startedAt?: string | null;
  finishedAt?: string | null;
}

/** One log line of `GET /v1/logs`. */
export interface RenderLog {
  id: string;
  timestamp: string;
  message: string;
  labels?: Array<{ name: string; value: string }>;
}

/** `GET /v1/logs` response. */
export interface RenderLogsResponse {
  hasMore: boolean;
  logs: RenderLog[];
  nextStartTime?: string | null;
  nextEndTime?: string | null;
}

/** `POST /v1/services` response. */
export interface RenderServiceAndDeploy {
  service: RenderService;
  deployId?: string;
}

/** A workspace the API key can act in (`GET /v1/owners`). */
export interface RenderOwner {
  id: string;
  name: string;
  email?: string;
  type: 'user' | 'team';
}
