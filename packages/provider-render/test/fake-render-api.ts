import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkCommandLine, directoryAvailable, filesByPath, type PlatformFiles as FakeFiles } from '@vector/core/testing';

/**
 * A local fake of the slice of Render's REST API v1 the provider uses, over real HTTP.
 * Shapes, enums and status codes follow /work/shared/reference/apis.md §2 (Render's OpenAPI as
 * used by its CLI, and recorded real traffic). Builds advance one status step every
 * `pollsPerStep` reads of the deploy: created → build_in_progress → update_in_progress → live.
 *
 * Like Render, it deploys every push to a service's branch unless the service's auto-deploy is
 * off (`autoDeploy: 'yes'` is the default when a create omits it): tests push with
 * `push({ repo, branch, sha })`. Given a commit's files (`addCommit`), a deploy of that commit
 * fails as Render's would when the service's commands cannot work for them (a missing
 * script: `build_failed` or, for the start command, `update_failed`; a static site's publish
 * directory that nothing makes: `build_failed`), with the tool's error as a log line. With
 * the `gitHost` option it reads commits from a (fake) GitHub too, and a deploy of a commit the
 * repository does not have fails to check out (`build_failed`).
 */

type Json = Record<string, unknown>;
type Status = 'created' | 'queued' | 'build_in_progress' | 'update_in_progress' | 'pre_deploy_in_progress' | 'live' | 'deactivated' | 'build_failed' | 'update_failed' | 'pre_deploy_failed' | 'canceled';

interface FakeDeploy {
  id: string;
  status: Status;
  trigger: string;
  commit: { id: string; message: string; createdAt: string } | null;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}
interface DeployState {
  deploy: FakeDeploy;
  /** The step this deploy fails at, and the error it logs then. */
  failure: { at: 'build' | 'update'; message: string } | null;
  reads: number;
  /** Render builds it without anyone polling (a new service's branch-head deploy). */
  autonomous: boolean;
}
interface ServiceState {
  service: Json & { id: string; name: string; ownerId: string; type: string; autoDeploy: string; autoDeployTrigger: string; serviceDetails: Json };
  envVars: Map<string, string>;
  /** A static site's redirect/rewrite rules, in priority order. */
  routes: Array<{ id: string; type: string; source: string; destination: string; priority: number }>;
  deploys: DeployState[]; // newest first
}
interface FakeLog {
  id: string;
  timestamp: string;
  message: string;
  labels: Array<{ name: string; value: string }>;
}

const TYPES = ['web_service', 'static_site', 'private_service', 'background_worker', 'cron_job'];
const RUNTIMES = ['docker', 'elixir', 'go', 'image', 'node', 'python', 'ruby', 'rust'];
const REGIONS = ['oregon', 'ohio', 'virginia', 'frankfurt', 'singapore'];
const PLANS = ['free', 'starter', 'standard', 'pro', 'pro_plus', 'pro_max', 'pro_ultra', 'custom'];
const SERVICE_FIELDS = ['type', 'name', 'ownerId', 'repo', 'branch', 'autoDeploy', 'autoDeployTrigger', 'rootDir', 'buildFilter', 'envVars', 'secretFiles', 'environmentId', 'image', 'serviceDetails'];
const STATIC_DETAIL_FIELDS = ['buildCommand', 'headers', 'ipAllowList', 'previews', 'publishPath', 'pullRequestPreviewsEnabled', 'renderSubdomainPolicy', 'routes'];
const WEB_DETAIL_FIELDS = ['runtime', 'env', 'envSpecificDetails', 'plan', 'region', 'numInstances', 'healthCheckPath', 'preDeployCommand', 'previews', 'pullRequestPreviewsEnabled', 'disk', 'maintenanceMode', 'renderSubdomainPolicy', 'autoscaling', 'maxShutdownDelaySeconds', 'ipAllowList'];
const PATCH_FIELDS = ['autoDeploy', 'autoDeployTrigger', 'branch', 'buildFilter', 'image', 'name', 'repo', 'rootDir', 'serviceDetails'];
const WEB_PATCH_DETAIL_FIELDS = ['envSpecificDetails', 'healthCheckPath', 'plan', 'preDeployCommand', 'previews', 'maintenanceMode', 'maxShutdownDelaySeconds', 'runtime', 'ipAllowList', 'renderSubdomainPolicy', 'cache'];
const STATIC_PATCH_DETAIL_FIELDS = ['buildCommand', 'publishPath', 'previews', 'ipAllowList', 'pullRequestPreviewsEnabled', 'renderSubdomainPolicy'];
const TRIGGERS = ['off', 'commit', 'checksPass'];
const DEPLOY_FIELDS = ['clearCache', 'commitId', 'imageUrl', 'deployMode', 'artifactId'];
const CANCELLABLE: Status[] = ['created', 'build_in_progress', 'update_in_progress', 'pre_deploy_in_progress'];
const FINISHED: Status[] = ['live', 'deactivated', 'build_failed', 'update_failed', 'pre_deploy_failed', 'canceled'];

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const newId = (prefix: string) => `${prefix}-${randomBytes(10).toString('hex')}`;
const cursorOf = (id: string) => Buffer.from(id).toString('base64url');
/** `https://github.com/acme/app` and `acme/app` name the same repository. */
const repoKey = (repo: unknown) =>
  String(repo ?? '')
    .replace(/^https:\/\/(github\.com|gitlab\.com|bitbucket\.org)\//, '')
    .replace(/\.git$/, '')
    .toLowerCase();

/** A git host the fake reads commits from when they were not given with `addCommit`, e.g. a fake GitHub. */
export interface FakeGitHost {
  /** The files of commit `sha` of `repo` (`owner/name`), or null when the repository has no such commit. */
  commitFiles(repo: string, sha: string): ReadonlyArray<{ path: string; content: string | Uint8Array }> | null;
}

/** Starts the fake on 127.0.0.1, port 0. */
export async function startFakeRenderApi(options: { apiKey?: string; owners?: number; gitHost?: FakeGitHost } = {}) {
  const apiKey = options.apiKey ?? 'rnd_test_key';
  const owners = Array.from({ length: options.owners ?? 1 }, (_, index) => ({ id: `tea-fake${index}owner`, name: `Workspace ${index}`, email: 'ops@example.com', type: 'team' as const }));
  const services = new Map<string, ServiceState>();
  const logs: FakeLog[] = [];
  const requests: Array<{ method: string; path: string; body: unknown }> = [];
  const commits = new Map<string, FakeFiles>();
  const knobs = { pollsPerStep: 1, failNextBuilds: 0, rateLimited: 0, retryAfterSeconds: 1, serverErrors: 0, serverErrorStatus: 500, dropped: 0, dropPath: '', accepted202: 0, echoEnvValues: 0 };
  let clock = 0;
  // Strictly increasing timestamps except for deliberate same-millisecond bursts, like real logs.
  const stamp = () => new Date(Math.max(Date.now(), clock)).toISOString();

  /** A log line at `at` (a status change's own instant, so its lines fall inside the deploy's window), else now. */
  function log(serviceId: string, type: 'build' | 'app', level: 'info' | 'error', message: string, at?: string) {
    clock = Math.max(at === undefined ? Date.now() : Date.parse(at), clock);
    logs.push({ id: newId('log'), timestamp: new Date(clock).toISOString(), message, labels: [{ name: 'resource', value: serviceId }, { name: 'type', value: type }, { name: 'level', value: level }] });
  }

  function setStatus(state: ServiceState, entry: DeployState, status: Status) {
    const now = stamp();
    entry.deploy.status = status;
    entry.deploy.updatedAt = now;
    if (status === 'build_in_progress') entry.deploy.startedAt = now;
    if (FINISHED.includes(status)) entry.deploy.finishedAt = now;
    const id = state.service.id;
    if (status === 'build_in_progress') {
      log(id, 'build', 'info', `==> Cloning from ${String(state.service.repo)}`, now);
      log(id, 'build', 'info', `==> Checking out commit ${entry.deploy.commit?.id ?? 'HEAD'}`, now);
      log(id, 'build', 'info', '==> Running build command', now);
    } else if (status === 'update_in_progress') {
      log(id, 'build', 'info', '==> Build successful 🎉', now);
      log(id, 'build', 'info', '==> Deploying...', now);
    } else if (status === 'build_failed') {
      log(id, 'build', 'error', entry.failure?.message ?? 'npm ERR! missing script: build', now);
      log(id, 'build', 'error', '==> Build failed 😞', now);
    } else if (status === 'update_failed') {
      log(id, 'app', 'error', entry.failure?.message ?? 'Error: the service exited', now);
      log(id, 'build', 'error', '==> Exited with status 1', now);
    } else if (status === 'live') {
      for (const other of state.deploys) if (other !== entry && other.deploy.status === 'live') other.deploy.status = 'deactivated';
      log(id, 'app', 'info', `Server listening on port 10000 (${entry.deploy.id})`, now);
      log(id, 'build', 'info', '==> Your service is live 🎉', now);
    }
  }

  function advance(state: ServiceState, entry: DeployState) {
    if (FINISHED.includes(entry.deploy.status)) return;
    entry.reads += 1;
    if (entry.reads < knobs.pollsPerStep) return;
    entry.reads = 0;
    const next: Record<string, Status> = {
      created: 'build_in_progress',
      queued: 'build_in_progress',
      build_in_progress: entry.failure?.at === 'build' ? 'build_failed' : 'update_in_progress',
      update_in_progress: entry.failure?.at === 'update' ? 'update_failed' : 'live',
    };
    const status = next[entry.deploy.status];
    if (status) setStatus(state, entry, status);
  }

  /**
   * Why a build of `commitId` with the service's settings fails, judged from the commit's files.
   * A new service's first deploy builds the branch head, which exists by definition.
   */
  function failureOf(state: ServiceState, commitId: string | null, branchHead: boolean): DeployState['failure'] {
    const repo = repoKey(state.service.repo);
    const hosted = commitId && options.gitHost && !branchHead ? options.gitHost.commitFiles(repo, commitId) : undefined;
    if (hosted === null) return { at: 'build', message: `fatal: reference is not a tree: ${commitId}` };
    const files = commitId ? (commits.get(`${repo}@${commitId}`) ?? (hosted ? filesByPath(hosted) : undefined)) : undefined;
    if (!files) return null;
    const details = state.service.serviceDetails;
    if (state.service.type === 'static_site') {
      const build = details.buildCommand as string | undefined;
      const buildError = checkCommandLine(build, files);
      if (buildError) return { at: 'build', message: buildError };
      const publishPath = String(details.publishPath ?? 'public');
      return directoryAvailable(publishPath, files, build) ? null : { at: 'build', message: `==> Publish directory ${publishPath} does not exist!` };
    }
    if (details.runtime === 'docker' || details.runtime === 'image') return null;
    const specific = (details.envSpecificDetails ?? {}) as Json;
    const buildError = checkCommandLine(specific.buildCommand as string | undefined, files);
    if (buildError) return { at: 'build', message: buildError };
    const startError = checkCommandLine(specific.startCommand as string | undefined, files);
    return startError ? { at: 'update', message: startError } : null;
  }

  function createDeploy(state: ServiceState, commitId: string | null, trigger: string, autonomous = false, branchHead = false): FakeDeploy {
    const now = stamp();
    const deploy: FakeDeploy = { id: newId('dep'), status: 'created', trigger, commit: commitId ? { id: commitId, message: 'commit', createdAt: now } : null, createdAt: now, updatedAt: now, startedAt: null, finishedAt: null };
    let failure = failureOf(state, commitId, branchHead);
    if (knobs.failNextBuilds > 0) {
      knobs.failNextBuilds -= 1;
      failure ??= { at: 'build', message: 'npm ERR! missing script: build' };
    }
    state.deploys.unshift({ deploy, failure, reads: 0, autonomous });
    return deploy;
  }

  /** Render's auto-deploy: `autoDeployTrigger` when given, else `autoDeploy` (default `yes`). */
  function autoDeploySettings(body: Json, current?: { autoDeploy: string; autoDeployTrigger: string }) {
    if (body.autoDeployTrigger !== undefined) {
      oneOf(body.autoDeployTrigger, TRIGGERS, 'autoDeployTrigger');
      return { autoDeploy: body.autoDeployTrigger === 'off' ? 'no' : 'yes', autoDeployTrigger: body.autoDeployTrigger as string };
    }
    if (body.autoDeploy !== undefined) {
      oneOf(body.autoDeploy, ['yes', 'no'], 'autoDeploy');
      return { autoDeploy: body.autoDeploy as string, autoDeployTrigger: body.autoDeploy === 'yes' ? 'commit' : 'off' };
    }
    return current ?? { autoDeploy: 'yes', autoDeployTrigger: 'commit' };
  }

  function checkRoutes(routes: unknown, field: string) {
    if (!Array.isArray(routes)) throw new HttpError(400, `${field} must be an array of routes`);
    for (const route of routes as Json[]) {
      rejectUnknown(route, ['type', 'source', 'destination', 'priority'], `${field}.`);
      oneOf(route.type, ['redirect', 'rewrite'], `${field}.type`);
      if (typeof route.source !== 'string' || !route.source.startsWith('/')) throw new HttpError(400, `${field}.source must be a path starting with /`);
      if (typeof route.destination !== 'string' || route.destination === '') throw new HttpError(400, `${field}.destination is required`);
    }
    return (routes as Json[]).map((route, index) => ({ id: newId('rt'), type: String(route.type), source: String(route.source), destination: String(route.destination), priority: index }));
  }

  /** `PATCH /services/{id}`: the settings a service type has; others are a 400 like Render's. */
  function updateService(state: ServiceState, body: Json) {
    rejectUnknown(body, PATCH_FIELDS, '');
    Object.assign(state.service, autoDeploySettings(body, state.service));
    if (typeof body.branch === 'string') state.service.branch = body.branch;
    if (body.serviceDetails !== undefined) {
      const details = body.serviceDetails as Json;
      const target = state.service.serviceDetails;
      if (state.service.type === 'static_site') {
        rejectUnknown(details, STATIC_PATCH_DETAIL_FIELDS, 'serviceDetails.');
        for (const key of ['buildCommand', 'publishPath']) if (typeof details[key] === 'string') target[key] = details[key];
      } else {
        rejectUnknown(details, WEB_PATCH_DETAIL_FIELDS, 'serviceDetails.');
        if (details.envSpecificDetails !== undefined) {
          const specific = details.envSpecificDetails as Json;
          rejectUnknown(specific, ['buildCommand', 'startCommand', 'dockerCommand', 'dockerContext', 'dockerfilePath', 'registryCredentialId'], 'serviceDetails.envSpecificDetails.');
          target.envSpecificDetails = { ...(target.envSpecificDetails as Json), ...specific };
        }
        if (typeof details.healthCheckPath === 'string') target.healthCheckPath = details.healthCheckPath;
      }
    }
    state.service.updatedAt = stamp();
    return state.service;
  }

  function service(id: string): ServiceState {
    const state = services.get(id);
    if (!state) throw new HttpError(404, `not found: ${id}`);
    return state;
  }

  function rejectUnknown(body: Json, allowed: string[], where: string) {
    for (const key of Object.keys(body)) if (!allowed.includes(key)) throw new HttpError(400, `invalid request: unknown field ${where}${key}`);
  }

  function oneOf(value: unknown, allowed: string[], field: string) {
    if (typeof value !== 'string' || !allowed.includes(value)) throw new HttpError(400, `invalid value for ${field}: must be one of ${allowed.join(', ')}`);
  }

  function page<T>(items: T[], idOf: (item: T) => string, wrap: (item: T) => Json, query: URLSearchParams) {
    const limit = query.has('limit') ? Number(query.get('limit')) : 20;
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new HttpError(400, 'invalid value for limit: must be between 1 and 100');
    const cursor = query.get('cursor');
    const start = cursor ? items.findIndex((item) => cursorOf(idOf(item)) === cursor) + 1 : 0;
    if (cursor && start === 0) throw new HttpError(400, 'invalid cursor');
    return items.slice(start, start + limit).map((item) => ({ ...wrap(item), cursor: cursorOf(idOf(item)) }));
  }

  function createService(body: Json) {
    rejectUnknown(body, SERVICE_FIELDS, '');
    oneOf(body.type, TYPES, 'type');
    if (typeof body.name !== 'string' || body.name === '') throw new HttpError(400, 'name is required');
    if (!owners.some((owner) => owner.id === body.ownerId)) throw new HttpError(400, 'ownerId is required and must be a workspace you can access');
    if ([...services.values()].some((state) => state.service.name === body.name && state.service.ownerId === body.ownerId)) throw new HttpError(409, `a service named ${body.name} already exists`);
    if (body.repo !== undefined && (typeof body.repo !== 'string' || !/^https:\/\/(github\.com|gitlab\.com|bitbucket\.org)\/[^/]+\/[^/]+$/.test(body.repo))) throw new HttpError(400, 'invalid repo: must be a repository URL without a branch');
    const autoDeploy = autoDeploySettings(body);
    const details = (body.serviceDetails ?? {}) as Json;
    let routes: ServiceState['routes'] = [];
    if (body.type === 'static_site') {
      rejectUnknown(details, STATIC_DETAIL_FIELDS, 'serviceDetails.');
      if (details.routes !== undefined) routes = checkRoutes(details.routes, 'serviceDetails.routes');
    }
    if (body.type === 'web_service') {
      rejectUnknown(details, WEB_DETAIL_FIELDS, 'serviceDetails.');
      oneOf(details.runtime, RUNTIMES, 'serviceDetails.runtime');
      if (details.region !== undefined) oneOf(details.region, REGIONS, 'serviceDetails.region');
      if (details.plan !== undefined) oneOf(details.plan, PLANS, 'serviceDetails.plan');
      const specific = (details.envSpecificDetails ?? {}) as Json;
      if (details.runtime !== 'docker' && details.runtime !== 'image' && (typeof specific.buildCommand !== 'string' || typeof specific.startCommand !== 'string')) {
        throw new HttpError(400, 'serviceDetails.envSpecificDetails.buildCommand and startCommand are required for native runtimes');
      }
    }
    const id = newId('srv');
    const slug = `${body.name}-${randomBytes(2).toString('hex')}`;
    const now = stamp();
    const serviceDetails: Json =
      body.type === 'static_site'
        ? { buildCommand: details.buildCommand ?? '', publishPath: details.publishPath ?? 'public', buildPlan: 'starter', url: `https://${slug}.onrender.com` }
        : { runtime: details.runtime, plan: details.plan ?? 'starter', region: details.region ?? 'oregon', numInstances: 1, url: `https://${slug}.onrender.com`, openPorts: [], envSpecificDetails: details.envSpecificDetails ?? {} };
    const created: ServiceState['service'] = {
      id, name: body.name, slug, type: String(body.type), ownerId: body.ownerId as string, repo: body.repo ?? null, branch: body.branch ?? 'main', ...autoDeploy,
      rootDir: body.rootDir ?? '', suspended: 'not_suspended', suspenders: [], createdAt: now, updatedAt: now, notifyOnFail: 'default', dashboardUrl: `https://dashboard.render.com/${body.type === 'static_site' ? 'static' : 'web'}/${id}`,
      serviceDetails,
    };
    const state: ServiceState = { service: created, envVars: new Map(), deploys: [], routes };
    for (const variable of (body.envVars ?? []) as Json[]) state.envVars.set(String(variable.key), String(variable.value ?? randomBytes(8).toString('hex')));
    services.set(id, state);
    // A git-backed service starts building its branch head right away.
    // It proceeds on its own (one step per request touching the service) and goes live
    // unless cancelled, replacing whatever else is live.
    const deploy = createDeploy(state, randomBytes(20).toString('hex'), 'new_commit', true, true);
    return { service: created, deployId: deploy.id };
  }

  function listLogs(query: URLSearchParams) {
    const ownerId = query.get('ownerId');
    if (!ownerId) throw new HttpError(400, 'ownerId is required');
    if (!owners.some((owner) => owner.id === ownerId)) throw new HttpError(403, 'you do not have access to this owner');
    const resources = query.getAll('resource');
    if (resources.length === 0) throw new HttpError(400, 'resource is required');
    const direction = query.get('direction') ?? 'backward';
    oneOf(direction, ['forward', 'backward'], 'direction');
    const parseTime = (name: string, fallback: number) => {
      const raw = query.get(name);
      if (raw === null) return fallback;
      const value = /^\d+$/.test(raw) ? Number(raw) * 1000 : Date.parse(raw);
      if (Number.isNaN(value)) throw new HttpError(400, `invalid value for ${name}`);
      return value;
    };
    const end = parseTime('endTime', Date.now());
    const start = parseTime('startTime', end - 3_600_000);
    const limit = query.has('limit') ? Number(query.get('limit')) : 20;
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new HttpError(400, 'invalid value for limit');
    const matching = logs
      .filter((entry) => entry.labels.some((label) => label.name === 'resource' && resources.includes(label.value)))
      .filter((entry) => Date.parse(entry.timestamp) >= start && Date.parse(entry.timestamp) <= end);
    if (direction === 'backward') matching.reverse();
    const chunk = matching.slice(0, limit);
    const rest = matching[limit];
    return {
      hasMore: rest !== undefined,
      logs: chunk,
      nextStartTime: rest ? (direction === 'forward' ? rest.timestamp : new Date(start).toISOString()) : null,
      nextEndTime: rest ? (direction === 'forward' ? new Date(end).toISOString() : rest.timestamp) : null,
    };
  }

  async function route(method: string, url: URL, body: unknown): Promise<{ status: number; body?: unknown }> {
    const parts = url.pathname.replace(/^\/v1/, '').split('/').filter(Boolean).map(decodeURIComponent);
    const [root, serviceId, sub, subId, action] = parts;
    const json = (body ?? {}) as Json;
    if (root === 'owners' && parts.length === 1 && method === 'GET') return { status: 200, body: page(owners, (owner) => owner.id, (owner) => ({ owner }), url.searchParams) };
    if (root === 'logs' && parts.length === 1 && method === 'GET') return { status: 200, body: listLogs(url.searchParams) };
    if (root !== 'services') throw new HttpError(404, 'not found');
    if (parts.length === 1 && method === 'GET') {
      const names = url.searchParams.getAll('name');
      const ownerIds = url.searchParams.getAll('ownerId');
      const list = [...services.values()].map((state) => state.service).filter((item) => (names.length === 0 || names.includes(item.name)) && (ownerIds.length === 0 || ownerIds.includes(item.ownerId)));
      return { status: 200, body: page(list, (item) => item.id, (item) => ({ service: item }), url.searchParams) };
    }
    if (parts.length === 1 && method === 'POST') return { status: 201, body: createService(json) };
    const state = service(serviceId as string);
    for (const entry of state.deploys) if (entry.autonomous && !(sub === 'deploys' && subId === entry.deploy.id)) advance(state, entry);
    if (parts.length === 2 && method === 'GET') return { status: 200, body: state.service };
    if (parts.length === 2 && method === 'PATCH') return { status: 200, body: updateService(state, json) };
    if (sub === 'routes' && parts.length === 3 && method === 'GET') {
      if (state.service.type !== 'static_site') throw new HttpError(400, 'routes exist only on static sites');
      return { status: 200, body: page(state.routes, (route) => route.id, (route) => ({ route }), url.searchParams) };
    }
    if (sub === 'routes' && parts.length === 3 && method === 'PUT') {
      if (state.service.type !== 'static_site') throw new HttpError(400, 'routes exist only on static sites');
      state.routes = checkRoutes(body, 'routes');
      return { status: 200, body: state.routes };
    }
    if (parts.length === 2 && method === 'DELETE') {
      services.delete(state.service.id);
      return { status: 204 };
    }
    if (sub === 'env-vars' && parts.length === 3 && method === 'PUT') {
      if (!Array.isArray(body)) throw new HttpError(400, 'request body must be an array of environment variables');
      if (knobs.echoEnvValues > 0) {
        knobs.echoEnvValues -= 1;
        const last = (body as Json[]).at(-2);
        throw new HttpError(400, `invalid environment variable ${String(last?.key)}: ${String(last?.value)}`);
      }
      const next = new Map<string, string>();
      for (const item of body as Json[]) {
        if (typeof item?.key !== 'string' || item.key === '') throw new HttpError(400, 'each environment variable needs a key');
        if (typeof item.value !== 'string' && item.generateValue !== true) throw new HttpError(400, `environment variable ${item.key} needs a value or generateValue`);
        rejectUnknown(item, ['key', 'value', 'generateValue'], 'envVars.');
        next.set(item.key, typeof item.value === 'string' ? item.value : randomBytes(16).toString('hex'));
      }
      state.envVars = next;
      return { status: 200, body: [...next].map(([key, value]) => ({ envVar: { key, value }, cursor: cursorOf(key) })) };
    }
    if (sub === 'env-vars' && parts.length === 4 && method === 'GET') {
      const value = state.envVars.get(subId as string);
      if (value === undefined) throw new HttpError(404, `not found: ${subId}`);
      return { status: 200, body: { key: subId, value } };
    }
    if (sub === 'deploys' && parts.length === 3 && method === 'GET') return { status: 200, body: page(state.deploys, (entry) => entry.deploy.id, (entry) => ({ deploy: entry.deploy }), url.searchParams) };
    if (sub === 'deploys' && parts.length === 3 && method === 'POST') {
      rejectUnknown(json, DEPLOY_FIELDS, '');
      if (json.clearCache !== undefined) oneOf(json.clearCache, ['clear', 'do_not_clear'], 'clearCache');
      if (json.commitId !== undefined && (typeof json.commitId !== 'string' || !/^[0-9a-f]{7,40}$/.test(json.commitId))) throw new HttpError(400, 'invalid commitId');
      const deploy = createDeploy(state, (json.commitId as string | undefined) ?? randomBytes(20).toString('hex'), 'api');
      if (knobs.accepted202 > 0) {
        knobs.accepted202 -= 1;
        return { status: 202 };
      }
      return { status: 201, body: deploy };
    }
    const entry = state.deploys.find((item) => item.deploy.id === subId);
    if (sub === 'deploys' && subId && !entry) throw new HttpError(404, `not found: ${subId}`);
    if (entry && parts.length === 4 && method === 'GET') {
      advance(state, entry);
      return { status: 200, body: entry.deploy };
    }
    if (entry && action === 'cancel' && parts.length === 5 && method === 'POST') {
      if (!CANCELLABLE.includes(entry.deploy.status)) throw new HttpError(409, `deploy ${entry.deploy.id} is ${entry.deploy.status} and cannot be canceled`);
      setStatus(state, entry, 'canceled');
      return { status: 200, body: entry.deploy };
    }
    throw new HttpError(404, 'not found');
  }

  async function handle(request: IncomingMessage, response: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const url = new URL(request.url ?? '/', 'http://fake');
    const method = request.method ?? 'GET';
    const text = Buffer.concat(chunks).toString('utf8');
    const headers: Record<string, string | string[]> = { 'content-type': 'application/json; charset=utf-8', 'render-request-id': newId('req'), 'ratelimit-limit': ['400', '100'], 'ratelimit-remaining': ['399', '99'], 'ratelimit-reset': ['4', '2947'] };
    const send = (status: number, payload?: unknown) => {
      response.writeHead(status, headers);
      response.end(payload === undefined ? undefined : JSON.stringify(payload));
    };
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      return send(400, { id: 'bad-request', message: 'invalid JSON body' });
    }
    requests.push({ method, path: url.pathname, body });
    if (request.headers.authorization !== `Bearer ${apiKey}`) return send(401, { id: 'unauthorized', message: 'unauthorized' });
    if (knobs.rateLimited > 0) {
      knobs.rateLimited -= 1;
      headers['retry-after'] = String(knobs.retryAfterSeconds);
      headers['ratelimit-remaining'] = '0';
      headers['ratelimit-reset'] = String(knobs.retryAfterSeconds);
      return send(429, { message: 'rate limit exceeded' });
    }
    if (knobs.serverErrors > 0) {
      knobs.serverErrors -= 1;
      return send(knobs.serverErrorStatus, { id: 'internal', message: 'internal server error' });
    }
    try {
      const result = await route(method, url, body);
      if (knobs.dropped > 0 && `${method} ${url.pathname}`.includes(knobs.dropPath)) {
        knobs.dropped -= 1;
        request.socket.destroy(); // processed, but the answer never arrives
        return;
      }
      send(result.status, result.body);
    } catch (error) {
      if (error instanceof HttpError) return send(error.status, { message: error.message });
      send(500, { message: 'internal server error' });
    }
  }

  const server = createServer((request, response) => void handle(request, response));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    apiKey,
    ownerId: owners[0]?.id as string,
    requests,
    services,
    /** Make the next `count` builds fail (`build_failed`). */
    failNextBuilds(count = 1) { knobs.failNextBuilds = count; },
    /** Reads of a deploy needed per status step (1 = one step per poll). */
    setPollsPerStep(count: number) { knobs.pollsPerStep = count; },
    /** Answer the next `count` requests with 429 and a `Retry-After` of `seconds`. */
    rateLimitNext(count: number, seconds = 0) { knobs.rateLimited = count; knobs.retryAfterSeconds = seconds; },
    /** Answer the next `count` requests with `status` (5xx). */
    failNextRequests(count: number, status = 500) { knobs.serverErrors = count; knobs.serverErrorStatus = status; },
    /** Process the next `count` requests matching `pathPart`, then drop the connection. */
    dropNextResponses(count: number, pathPart: string) { knobs.dropped = count; knobs.dropPath = pathPart; },
    /** Answer the next `count` deploy triggers with 202 and no body. */
    acceptNextDeploysWith202(count = 1) { knobs.accepted202 = count; },
    /** Misbehave: reject the next env-var update with a message echoing a submitted value. */
    rejectNextEnvVarsEchoingValue() { knobs.echoEnvValues = 1; },
    /** Registers the files of a commit, so deploys of it are checked against them. */
    addCommit(commit: { repo: string; sha: string; files: ReadonlyArray<{ path: string; content: string | Uint8Array }> }) { commits.set(`${repoKey(commit.repo)}@${commit.sha}`, filesByPath(commit.files)); },
    /**
     * A push of `sha` to `branch` of `repo`: like Render, every service on that branch whose
     * auto-deploy is on starts building it (trigger `new_commit`). Returns the deploys started.
     */
    push(commit: { repo: string; branch: string; sha: string }) {
      const started: Array<{ serviceId: string; deployId: string }> = [];
      for (const state of services.values()) {
        if (repoKey(state.service.repo) !== repoKey(commit.repo) || state.service.branch !== commit.branch || state.service.autoDeployTrigger === 'off') continue;
        started.push({ serviceId: state.service.id, deployId: createDeploy(state, commit.sha, 'new_commit', true).id });
      }
      return started;
    },
    /** Delete a service behind the client's back. */
    deleteService(serviceId: string) { services.delete(serviceId); },
    /** Add a log line with an exact timestamp (for cursor edge cases). */
    addLog(serviceId: string, timestamp: string, message: string) { logs.push({ id: newId('log'), timestamp, message, labels: [{ name: 'resource', value: serviceId }, { name: 'type', value: 'app' }, { name: 'level', value: 'info' }] }); logs.sort((a, b) => a.timestamp.localeCompare(b.timestamp)); },
    count(method: string, pathPattern: RegExp) { return requests.filter((item) => item.method === method && pathPattern.test(item.path)).length; },
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** A running fake Render API. */
export type FakeRenderApi = Awaited<ReturnType<typeof startFakeRenderApi>>;
