import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import { z } from 'zod';
import { checkCommandLine, directoryAvailable, filesByPath, serveDirectory, type PlatformFiles as FakeFiles } from '@vector/core/testing';

/**
 * A small fake of Railway's public GraphQL API (`POST /graphql/v2`), for the operations the
 * provider uses. Shapes, enums and error bodies follow /work/shared/reference/apis.md §1:
 * GraphQL errors are HTTP 200 `{data:null, errors:[{message, extensions}]}`, validation
 * failures (unknown fields, bad enums, missing inputs) HTTP 400, throttling HTTP 429 with
 * `Retry-After` and `X-RateLimit-*`. Deployments advance one status per `deployment` poll
 * through Railway's real sequence QUEUED → INITIALIZING → BUILDING → DEPLOYING → SUCCESS.
 *
 * Railway's platform behaviour it models:
 * - one deployment per service instance: when a deployment reaches SUCCESS, the one that was
 *   serving (SUCCESS until then) becomes REMOVED;
 * - branch triggers: a service created with `source.repo` and `branch`, or connected with
 *   `serviceConnect({repo, branch})`, gets a trigger; a repository connected with
 *   `serviceInstanceUpdate({source:{repo}})` is assumed to get one on `main` too (Railway does
 *   not document that case; the fake assumes the worst). `push({ repo, branch, sha })`
 *   deploys every service instance with a trigger on that branch;
 * - repositories and commits Railway's GitHub app can read: those given with `addRepo` /
 *   `addCommit`, and, with the `gitHost` option, those of a (fake) GitHub, read on demand;
 * - builds judged from a commit's files (`addCommit`, `gitHost`) or an uploaded tarball: a build command
 *   that cannot run ends FAILED, a start command that cannot run ends CRASHED, each with the
 *   tool's error as a log line;
 * - `railway up`: `POST /project/{projectId}/environment/{environmentId}/up?serviceId=` with a
 *   gzipped tarball (read with node-tar) answers `{deploymentId, url, logsUrl, deploymentDomain}`.
 */

interface FakeLog {
  timestamp: string;
  message: string;
  severity: string | null;
}
interface FakeDeployment {
  id: string;
  /** Why it fails, when its build or start cannot work: the tool's error line. */
  failure: { at: 'build' | 'start'; message: string } | null;
  /** The uploaded files, for a `railway up` deployment. */
  files: FakeFiles | null;
  projectId: string;
  environmentId: string;
  serviceId: string;
  commitSha: string;
  script: string[];
  step: number;
  createdAt: string;
  buildLogs: FakeLog[];
  deployLogs: FakeLog[];
  variables: Record<string, string | null>;
}
interface FakeService {
  id: string;
  name: string;
  projectId: string;
  repo: string | null;
  region: string | null;
  buildCommand: string | null;
  startCommand: string | null;
  variables: Record<string, string | null>;
  domains: Array<{ id: string; domain: string; environmentId: string }>;
}
interface FakeProject {
  id: string;
  name: string;
  description: string | null;
  workspaceId: string;
  environments: Array<{ id: string; name: string }>;
}

interface FakeTrigger {
  id: string;
  projectId: string;
  environmentId: string;
  serviceId: string;
  repository: string;
  branch: string;
  provider: string;
  checkSuites: boolean;
}

class GraphqlError extends Error {}

const DeploymentStatus = z.enum(['BUILDING', 'CRASHED', 'DEPLOYING', 'FAILED', 'INITIALIZING', 'NEEDS_APPROVAL', 'QUEUED', 'REMOVED', 'REMOVING', 'SKIPPED', 'SLEEPING', 'SUCCESS', 'WAITING']);
const envVars = z.record(z.string(), z.string().nullable());
const id = z.string().min(1);
const opt = <T extends z.ZodType>(schema: T) => schema.nullable().optional();

// Variables per root field; `.strict()` rejects unknown input fields as Railway's schema does.
const logsVariables = z.object({ deploymentId: id, limit: opt(z.number().int()), startDate: opt(z.string().datetime({ offset: true })), endDate: opt(z.string().datetime({ offset: true })), filter: opt(z.string()) }).strict();
const variableSchemas = {
  projects: z.object({ workspaceId: opt(z.string()), first: opt(z.number().int()), after: opt(z.string()) }).strict(),
  project: z.object({ id }).strict(),
  projectCreate: z.object({
    input: z.object({
      name: opt(z.string()),
      description: opt(z.string()),
      workspaceId: opt(z.string()),
      isPublic: opt(z.boolean()),
      prDeploys: opt(z.boolean()),
      defaultEnvironmentName: opt(z.string()),
      isMonorepo: opt(z.boolean()),
      runtime: opt(z.enum(['LEGACY', 'UNSPECIFIED', 'V2'])),
      repo: opt(z.object({ fullRepoName: z.string(), branch: z.string() }).strict()),
    }).strict(),
  }).strict(),
  serviceCreate: z.object({
    input: z.object({
      projectId: id,
      name: opt(z.string()),
      environmentId: opt(z.string()),
      branch: opt(z.string()),
      source: opt(z.object({ repo: opt(z.string()), image: opt(z.string()) }).strict()),
      variables: opt(envVars),
      icon: opt(z.string()),
    }).strict(),
  }).strict(),
  serviceInstance: z.object({ environmentId: id, serviceId: id }).strict(),
  serviceConnect: z.object({ id, input: z.object({ repo: opt(z.string()), branch: opt(z.string()), image: opt(z.string()) }).strict() }).strict(),
  deploymentTriggers: z.object({ projectId: id, environmentId: id, serviceId: id, first: opt(z.number().int()), after: opt(z.string()) }).strict(),
  deploymentTriggerCreate: z.object({
    input: z.object({ projectId: id, environmentId: id, serviceId: id, repository: id, branch: id, provider: id, checkSuites: opt(z.boolean()), rootDirectory: opt(z.string()) }).strict(),
  }).strict(),
  deploymentTriggerDelete: z.object({ id }).strict(),
  deployments: z.object({
    input: z.object({ projectId: opt(z.string()), environmentId: opt(z.string()), serviceId: opt(z.string()), includeDeleted: opt(z.boolean()), status: opt(z.object({ in: opt(z.array(DeploymentStatus)), notIn: opt(z.array(DeploymentStatus)) }).strict()) }).strict(),
    first: opt(z.number().int()),
    after: opt(z.string()),
  }).strict(),
  deploymentCancel: z.object({ id }).strict(),
  variables: z.object({ projectId: id, environmentId: id, serviceId: opt(z.string()), unrendered: opt(z.boolean()) }).strict(),
  variableCollectionUpsert: z.object({
    input: z.object({ projectId: id, environmentId: id, serviceId: opt(z.string()), variables: envVars, replace: opt(z.boolean()), skipDeploys: opt(z.boolean()) }).strict(),
  }).strict(),
  serviceInstanceUpdate: z.object({
    serviceId: id,
    environmentId: opt(z.string()),
    input: z.object({
      source: opt(z.object({ repo: opt(z.string()), image: opt(z.string()) }).strict()),
      region: opt(z.string()),
      rootDirectory: opt(z.string()),
      buildCommand: opt(z.string()),
      startCommand: opt(z.string()),
      numReplicas: opt(z.number().int()),
      builder: opt(z.enum(['HEROKU', 'NIXPACKS', 'PAKETO', 'RAILPACK'])),
    }).strict(),
  }).strict(),
  serviceDomainCreate: z.object({ input: z.object({ serviceId: id, environmentId: id, targetPort: opt(z.number().int()) }).strict() }).strict(),
  serviceInstanceDeployV2: z.object({ serviceId: id, environmentId: id, commitSha: opt(z.string()) }).strict(),
  deployment: z.object({ id }).strict(),
  buildLogs: logsVariables,
  deploymentLogs: logsVariables,
  serviceDelete: z.object({ id, environmentId: opt(z.string()) }).strict(),
};
type Resolvers = { [Field in keyof typeof variableSchemas]: (variables: z.output<(typeof variableSchemas)[Field]>) => unknown };
const mutations = new Set(['projectCreate', 'serviceCreate', 'serviceConnect', 'variableCollectionUpsert', 'serviceInstanceUpdate', 'serviceDomainCreate', 'serviceInstanceDeployV2', 'serviceDelete', 'deploymentTriggerCreate', 'deploymentTriggerDelete', 'deploymentCancel']);

/**
 * A git host the fake reads repositories and commits from when they were not given with
 * `addRepo`/`addCommit`, e.g. a fake GitHub that something else pushes to.
 */
export interface FakeGitHost {
  /** Whether `repo` (`owner/name`) exists and Railway's GitHub app can read it. */
  hasRepository(repo: string): boolean;
  /** The files of commit `sha` of `repo`, or null when the repository has no such commit. */
  commitFiles(repo: string, sha: string): ReadonlyArray<{ path: string; content: string | Uint8Array }> | null;
}

/** A running fake with knobs to make Railway misbehave. */
export interface FakeRailway {
  url: string;
  token: string;
  workspaceId: string;
  projects: Map<string, FakeProject>;
  services: Map<string, FakeService>;
  deployments: Map<string, FakeDeployment>;
  /** Root field of every request that reached a resolver, in order. */
  calls: string[];
  /** Makes `commits` of `repo` (owner/name) deployable; `'any'` accepts every commit SHA. */
  addRepo(repo: string, commits: string[] | 'any'): void;
  /** Makes a commit deployable and gives its files, so its builds are judged by them. */
  addCommit(commit: { repo: string; sha: string; files: ReadonlyArray<{ path: string; content: string | Uint8Array }> }): void;
  /** A push of `sha` to `branch`: every service instance with a trigger on it deploys it. Returns the new deployment ids. */
  push(commit: { repo: string; branch: string; sha: string }): string[];
  triggers: Map<string, FakeTrigger>;
  /** The files of each `railway up` upload, by deployment id. */
  uploads: Map<string, FakeFiles>;
  /** The next deployment's build fails. */
  failNextBuild(): void;
  /** Builds stay BUILDING for this many extra polls. */
  setSlowBuilds(extraPolls: number): void;
  /** The next `count` requests get HTTP 429 with `Retry-After: seconds`. */
  rateLimitNext(count: number, seconds?: number): void;
  /** The next `count` requests get HTTP `status` (5xx). */
  failNext(count: number, status?: number): void;
  /** Deletes a deployment behind the client's back, as if removed in the dashboard. */
  vanishDeployment(deploymentId: string): void;
  /** Appends `count` lines (`<prefix> <n>`), one per millisecond, to a deployment's stream. */
  appendLogs(deploymentId: string, stream: 'buildLogs' | 'deployLogs', count: number, prefix?: string): void;
  close(): Promise<void>;
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

/** Starts the fake on 127.0.0.1 with a random port. */
export async function startFakeRailway(options: { token?: string; gitHost?: FakeGitHost } = {}): Promise<FakeRailway> {
  const token = options.token ?? 'rw-test-token';
  const workspaceId = 'ws-fake';
  const projects = new Map<string, FakeProject>();
  const services = new Map<string, FakeService>();
  const deployments = new Map<string, FakeDeployment>();
  const repos = new Map<string, Set<string>>();
  const anyCommit = new Set<string>();
  const commitFiles = new Map<string, FakeFiles>();
  const triggers = new Map<string, FakeTrigger>();
  const uploads = new Map<string, FakeFiles>();
  const calls: string[] = [];
  const knownRepo = (repo: string) => repos.has(repo) || (options.gitHost?.hasRepository(repo) ?? false);
  const hostedFiles = (repo: string, sha: string) => {
    const files = options.gitHost?.commitFiles(repo, sha);
    return files ? filesByPath(files) : undefined;
  };
  const knobs = { failNextBuild: false, slowPolls: 0, rateLimited: 0, retryAfter: 1, failing: 0, failStatus: 500, remaining: 1000 };
  let clock = Date.parse('2026-01-01T00:00:00.000Z');
  // Nanosecond timestamps like Railway's; `same` repeats the previous one (several lines per instant).
  const stamp = (same = false) => {
    if (!same) clock += 7;
    return `${new Date(clock).toISOString().slice(0, 23)}123456Z`;
  };

  function advance(deployment: FakeDeployment): void {
    if (deployment.step >= deployment.script.length - 1) return;
    deployment.step += 1;
    const status = deployment.script[deployment.step];
    const previous = deployment.script[deployment.step - 1];
    if (status === 'BUILDING' && previous !== 'BUILDING') {
      const at = stamp();
      deployment.buildLogs.push({ timestamp: at, message: `Cloning ${deployment.commitSha}`, severity: 'info' }, { timestamp: stamp(true), message: 'Using Railpack', severity: 'info' });
      deployment.buildLogs.push({ timestamp: stamp(), message: 'npm install', severity: 'info' });
    } else if (status === 'BUILDING') {
      deployment.buildLogs.push({ timestamp: stamp(), message: 'still building', severity: 'info' });
    } else if (status === 'FAILED') {
      deployment.buildLogs.push({ timestamp: stamp(), message: deployment.failure?.message ?? 'npm ERR! build script failed', severity: 'err' });
    } else if (status === 'CRASHED') {
      deployment.deployLogs.push({ timestamp: stamp(), message: deployment.failure?.message ?? 'the process exited with code 1', severity: 'err' });
    } else if (status === 'DEPLOYING') {
      deployment.buildLogs.push({ timestamp: stamp(), message: 'Build time: 3s', severity: 'info' });
    } else if (status === 'SUCCESS') {
      deployment.deployLogs.push({ timestamp: stamp(), message: `Listening on ${deployment.variables.PORT ?? '8080'}`, severity: 'info' });
      // One deployment per service instance: the one that served until now is removed.
      for (const other of deployments.values()) {
        if (other === deployment || other.serviceId !== deployment.serviceId || other.environmentId !== deployment.environmentId || other.script[other.step] !== 'SUCCESS') continue;
        other.script = ['REMOVED'];
        other.step = 0;
      }
    }
  }

  /** Why a build of these files with the service's commands fails, as Railpack would. */
  function failureOf(service: FakeService, files: FakeFiles | undefined, variables: Record<string, string | null>): FakeDeployment['failure'] {
    if (!files) return null;
    const buildError = checkCommandLine(service.buildCommand, files);
    if (buildError) return { at: 'build', message: buildError };
    const hasNode = files.has('package.json');
    if (!service.startCommand) {
      // Railpack's static-site provider (Caddy) serves RAILPACK_STATIC_FILE_ROOT, public/ or the root.
      if (hasNode) return null;
      const root = variables.RAILPACK_STATIC_FILE_ROOT ?? (files.has('public/index.html') ? 'public' : '.');
      const index = root === '.' ? 'index.html' : `${root.replace(/^\.\//, '').replace(/\/$/, '')}/index.html`;
      return files.has(index) ? null : { at: 'build', message: 'Railpack could not determine how to build the app: no index.html to serve' };
    }
    if (/^npx\b/.test(service.startCommand) && !hasNode) return { at: 'start', message: '/bin/sh: 1: npx: not found' };
    const startError = checkCommandLine(service.startCommand, files);
    if (startError) return { at: 'start', message: startError };
    const served = serveDirectory(service.startCommand);
    if (served !== null && !directoryAvailable(served, files, service.buildCommand)) return { at: 'start', message: `Error: ENOENT: no such file or directory, stat '/app/${served.replace(/^\.\//, '')}'` };
    return null;
  }

  /** A new deployment of a service instance, its status script decided now. */
  function createDeployment(service: FakeService, environmentId: string, commitSha: string | null, files: FakeFiles | null): FakeDeployment {
    const building = ['BUILDING', ...Array.from({ length: knobs.slowPolls }, () => 'BUILDING')];
    let failure = failureOf(service, files ?? (commitSha && service.repo ? (commitFiles.get(`${service.repo}@${commitSha}`) ?? hostedFiles(service.repo, commitSha)) : undefined), service.variables);
    if (knobs.failNextBuild) failure ??= { at: 'build', message: 'npm ERR! build script failed' };
    knobs.failNextBuild = false;
    const script =
      failure?.at === 'build' ? ['QUEUED', 'INITIALIZING', ...building, 'FAILED'] : failure?.at === 'start' ? ['QUEUED', 'INITIALIZING', ...building, 'DEPLOYING', 'CRASHED'] : ['QUEUED', 'INITIALIZING', ...building, 'DEPLOYING', 'SUCCESS'];
    clock += 1000;
    const deployment: FakeDeployment = {
      id: randomUUID(), failure, files, projectId: service.projectId, environmentId, serviceId: service.id, commitSha: commitSha ?? 'upload', script, step: 0,
      createdAt: new Date(clock).toISOString(), buildLogs: [], deployLogs: [], variables: { ...service.variables },
    };
    deployments.set(deployment.id, deployment);
    return deployment;
  }

  function addTrigger(service: FakeService, environmentId: string, repository: string, branch: string): FakeTrigger {
    // At most one trigger per service instance.
    for (const [triggerId, trigger] of triggers) if (trigger.serviceId === service.id && trigger.environmentId === environmentId) triggers.delete(triggerId);
    const trigger: FakeTrigger = { id: randomUUID(), projectId: service.projectId, environmentId, serviceId: service.id, repository, branch, provider: 'github', checkSuites: false };
    triggers.set(trigger.id, trigger);
    return trigger;
  }

  /** The environments a service exists in (the fake does not fork environments). */
  const environmentsOf = (service: FakeService) => projects.get(service.projectId)?.environments.map((environment) => environment.id) ?? [];

  const findService = (serviceId: string) => {
    const service = services.get(serviceId);
    if (!service) throw new GraphqlError('Service not found');
    return service;
  };
  const findProject = (projectId: string) => {
    const project = projects.get(projectId);
    if (!project) throw new GraphqlError('Project not found');
    return project;
  };
  const checkEnvironment = (project: FakeProject, environmentId: string) => {
    if (!project.environments.some((environment) => environment.id === environmentId)) throw new GraphqlError('Environment not found');
  };
  const connection = <T>(nodes: T[]) => ({ edges: nodes.map((node) => ({ node })), pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null } });
  const projectView = (project: FakeProject) => ({
    ...project,
    environments: connection(project.environments),
    services: connection([...services.values()].filter((service) => service.projectId === project.id).map(({ id: serviceId, name }) => ({ id: serviceId, name }))),
  });
  const deploymentView = (deployment: FakeDeployment) => ({
    id: deployment.id,
    status: deployment.script[deployment.step],
    serviceId: deployment.serviceId,
    environmentId: deployment.environmentId,
    projectId: deployment.projectId,
    createdAt: deployment.createdAt,
    updatedAt: deployment.createdAt,
    staticUrl: services.get(deployment.serviceId)?.domains[0]?.domain ?? null,
    url: null,
  });
  const logsOf = (variables: z.output<typeof logsVariables>, which: 'buildLogs' | 'deployLogs') => {
    const deployment = deployments.get(String(variables.deploymentId));
    if (!deployment) throw new GraphqlError('Deployment not found');
    const start = typeof variables.startDate === 'string' ? Date.parse(variables.startDate) : null;
    const end = typeof variables.endDate === 'string' ? Date.parse(variables.endDate) : null;
    const limit = typeof variables.limit === 'number' ? variables.limit : 100;
    // Railway keeps the NEWEST `limit` lines of the window (the CLI's `--lines N` "pull last N
    // logs"), oldest first. Bounds are inclusive; like a DateTime scalar, compared in ms.
    const inWindow = deployment[which].filter((line) => (start === null || Date.parse(line.timestamp) >= start) && (end === null || Date.parse(line.timestamp) <= end));
    return inWindow.slice(Math.max(0, inWindow.length - limit));
  };

  const resolvers: Resolvers = {
    projects: (v) => connection([...projects.values()].filter((project) => !v.workspaceId || project.workspaceId === v.workspaceId).map(projectView)),
    project: (v) => projectView(findProject(v.id)),
    projectCreate: ({ input }) => {
      if (input.workspaceId && input.workspaceId !== workspaceId) throw new GraphqlError('Not Authorized');
      const project: FakeProject = { id: randomUUID(), name: input.name ?? 'fake-project', description: input.description ?? null, workspaceId, environments: [{ id: randomUUID(), name: input.defaultEnvironmentName ?? 'production' }] };
      projects.set(project.id, project);
      return projectView(project);
    },
    serviceCreate: ({ input }) => {
      const project = findProject(input.projectId);
      if (input.environmentId) checkEnvironment(project, input.environmentId);
      const repo = input.source?.repo ?? null;
      if (repo && !knownRepo(repo)) throw new GraphqlError(`Repository ${repo} not found or Railway's GitHub app has no access to it`);
      const service: FakeService = { id: randomUUID(), name: input.name ?? 'service', projectId: project.id, repo, region: null, buildCommand: null, startCommand: null, variables: { ...input.variables }, domains: [] };
      services.set(service.id, service);
      // A repository with a branch is connected for auto-deploys on that branch.
      if (repo && input.branch) for (const environmentId of input.environmentId ? [input.environmentId] : environmentsOf(service)) addTrigger(service, environmentId, repo, input.branch);
      return { id: service.id, name: service.name, projectId: service.projectId };
    },
    serviceConnect: ({ id: serviceId, input }) => {
      const service = findService(serviceId);
      if (input.repo) {
        if (!knownRepo(input.repo)) throw new GraphqlError(`Repository ${input.repo} not found or Railway's GitHub app has no access to it`);
        service.repo = input.repo;
        if (input.branch) for (const environmentId of environmentsOf(service)) addTrigger(service, environmentId, input.repo, input.branch);
      }
      return { id: service.id, name: service.name, projectId: service.projectId };
    },
    serviceInstance: (v) => {
      const service = findService(v.serviceId);
      checkEnvironment(findProject(service.projectId), v.environmentId);
      const latest = [...deployments.values()].filter((deployment) => deployment.serviceId === service.id && deployment.environmentId === v.environmentId).at(-1);
      return { serviceId: service.id, environmentId: v.environmentId, latestDeployment: latest ? deploymentView(latest) : null, domains: { serviceDomains: service.domains, customDomains: [] }, source: { repo: service.repo, image: null } };
    },
    variableCollectionUpsert: ({ input }) => {
      checkEnvironment(findProject(input.projectId), input.environmentId);
      // Without serviceId Railway writes shared variables, which the provider never does.
      if (!input.serviceId) throw new GraphqlError('The fake supports service variables only; pass serviceId');
      const service = findService(input.serviceId);
      service.variables = input.replace ? { ...input.variables } : { ...service.variables, ...input.variables };
      return true;
    },
    serviceInstanceUpdate: (v) => {
      const service = findService(v.serviceId);
      const repo = v.input.source?.repo;
      if (repo) {
        if (!knownRepo(repo)) throw new GraphqlError(`Repository ${repo} not found or Railway's GitHub app has no access to it`);
        // Undocumented whether this connects auto-deploys; assume the worst: a trigger on main.
        if (service.repo !== repo) for (const environmentId of v.environmentId ? [v.environmentId] : environmentsOf(service)) addTrigger(service, environmentId, repo, 'main');
        service.repo = repo;
      }
      if (v.input.region) service.region = v.input.region;
      if (v.input.buildCommand !== undefined) service.buildCommand = v.input.buildCommand;
      if (v.input.startCommand !== undefined) service.startCommand = v.input.startCommand;
      return true;
    },
    serviceDomainCreate: ({ input }) => {
      const service = findService(input.serviceId);
      checkEnvironment(findProject(service.projectId), input.environmentId);
      const domain = { id: randomUUID(), domain: `${service.name}-production-${service.id.slice(0, 4)}.up.railway.app`, environmentId: input.environmentId, serviceId: service.id, suffix: 'up.railway.app', targetPort: input.targetPort ?? null, syncStatus: 'ACTIVE' };
      service.domains.push(domain);
      return domain;
    },
    serviceInstanceDeployV2: (v) => {
      const service = findService(v.serviceId);
      checkEnvironment(findProject(service.projectId), v.environmentId);
      if (!service.repo) throw new GraphqlError('Service has no source to deploy');
      if (v.commitSha && !anyCommit.has(service.repo) && !repos.get(service.repo)?.has(v.commitSha) && !hostedFiles(service.repo, v.commitSha)) throw new GraphqlError('Commit not found');
      return createDeployment(service, v.environmentId, v.commitSha ?? 'HEAD', null).id;
    },
    deployment: (v) => {
      const deployment = deployments.get(v.id);
      if (!deployment) throw new GraphqlError('Deployment not found');
      const view = deploymentView(deployment);
      advance(deployment);
      return view;
    },
    buildLogs: (v) => logsOf(v, 'buildLogs'),
    deploymentLogs: (v) => logsOf(v, 'deployLogs'),
    deployments: ({ input, first }) => {
      const matching = [...deployments.values()]
        .filter((deployment) => (!input.projectId || deployment.projectId === input.projectId) && (!input.environmentId || deployment.environmentId === input.environmentId) && (!input.serviceId || deployment.serviceId === input.serviceId))
        .reverse();
      return connection(matching.slice(0, first ?? 100).map(deploymentView));
    },
    deploymentCancel: (v) => {
      const deployment = deployments.get(v.id);
      if (!deployment) throw new GraphqlError('Deployment not found');
      if (!['QUEUED', 'WAITING', 'INITIALIZING', 'BUILDING', 'DEPLOYING'].includes(deployment.script[deployment.step] ?? '')) throw new GraphqlError('Deployment is not in progress');
      // Railway's "Abort" marks the deployment REMOVED.
      deployment.script = ['REMOVED'];
      deployment.step = 0;
      return true;
    },
    variables: (v) => {
      checkEnvironment(findProject(v.projectId), v.environmentId);
      if (!v.serviceId) return {};
      return { ...findService(v.serviceId).variables };
    },
    deploymentTriggers: (v) => connection([...triggers.values()].filter((trigger) => trigger.projectId === v.projectId && trigger.environmentId === v.environmentId && trigger.serviceId === v.serviceId)),
    deploymentTriggerCreate: ({ input }) => {
      const service = findService(input.serviceId);
      checkEnvironment(findProject(input.projectId), input.environmentId);
      return addTrigger(service, input.environmentId, input.repository, input.branch);
    },
    deploymentTriggerDelete: (v) => {
      if (!triggers.delete(v.id)) throw new GraphqlError('Deployment trigger not found');
      return true;
    },
    serviceDelete: (v) => {
      const service = findService(v.id);
      services.delete(service.id);
      for (const [triggerId, trigger] of triggers) if (trigger.serviceId === service.id) triggers.delete(triggerId);
      // Railway keeps the records of a deleted service's deployments: what ran becomes REMOVED, failures stay failures.
      for (const deployment of deployments.values()) {
        if (deployment.serviceId !== service.id || ['FAILED', 'CRASHED', 'SKIPPED'].includes(deployment.script[deployment.step] ?? '')) continue;
        deployment.script = ['REMOVED'];
        deployment.step = 0;
      }
      return true;
    },
  };

  const rateHeaders = () => ({ 'x-ratelimit-limit': '1000', 'x-ratelimit-remaining': String(Math.max(0, knobs.remaining)), 'x-ratelimit-reset': String(Math.ceil(Date.now() / 1000) + 3600) });

  /** Reads a gzipped tarball with node-tar: regular files by path (`./` dropped). */
  async function untar(gzipped: Buffer): Promise<Map<string, string>> {
    const tarball = gunzipSync(gzipped);
    const files: Array<{ path: string; content: Uint8Array }> = [];
    const parser = new Parser();
    parser.on('entry', (entry: ReadEntry) => {
      const chunks: Buffer[] = [];
      entry.on('data', (chunk: Buffer) => chunks.push(chunk));
      entry.on('end', () => {
        if (entry.type === 'File') files.push({ path: entry.path, content: Buffer.concat(chunks) });
      });
    });
    await new Promise<void>((resolve, reject) => {
      parser.on('end', () => resolve());
      parser.on('error', reject);
      parser.end(tarball);
    });
    return filesByPath(files);
  }

  /** `railway up`: the CLI's upload endpoint on backboard (not part of the GraphQL API). */
  async function handleUpload(request: IncomingMessage, response: ServerResponse, url: URL, projectId: string, environmentId: string) {
    if (request.headers.authorization !== `Bearer ${token}`) return send(response, 401, { message: 'Not Authorized' });
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    if (request.headers['content-type'] !== 'application/gzip') return send(response, 400, { message: 'Expected an application/gzip body' });
    let files: Map<string, string>;
    try {
      files = await untar(Buffer.concat(chunks));
    } catch {
      return send(response, 400, { message: 'Failed to read the uploaded archive' });
    }
    const project = projects.get(projectId);
    if (!project || !project.environments.some((environment) => environment.id === environmentId)) return send(response, 400, { message: 'Project or environment not found' });
    const serviceId = url.searchParams.get('serviceId') ?? '';
    // Railway creates a service when serviceId is empty; the provider always names one.
    const service = services.get(serviceId);
    if (!service || service.projectId !== projectId) return send(response, 400, { message: serviceId ? 'Service not found' : 'The fake needs a serviceId' });
    calls.push('up');
    const deployment = createDeployment(service, environmentId, null, files);
    uploads.set(deployment.id, files);
    const dashboard = `https://railway.com/project/${projectId}/service/${service.id}?id=${deployment.id}&environmentId=${environmentId}`;
    send(response, 200, { deploymentId: deployment.id, url: dashboard, logsUrl: dashboard, deploymentDomain: service.domains[0]?.domain ?? '' });
  }

  const server = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? '/', 'http://fake');
      const up = /^\/project\/([^/]+)\/environment\/([^/]+)\/up$/.exec(url.pathname);
      if (request.method === 'POST' && up) {
        if (knobs.failing > 0) {
          knobs.failing -= 1;
          return send(response, knobs.failStatus, { message: 'Internal Server Error' });
        }
        return handleUpload(request, response, url, decodeURIComponent(up[1] as string), decodeURIComponent(up[2] as string));
      }
      if (request.method !== 'POST' || request.url !== '/graphql/v2') return send(response, 404, { errors: [{ message: 'Not Found' }] });
      if (knobs.rateLimited > 0) {
        knobs.rateLimited -= 1;
        return send(response, 429, { errors: [{ message: 'You have exceeded the rate limit. Please try again later.' }] }, { ...rateHeaders(), 'x-ratelimit-remaining': '0', 'retry-after': String(knobs.retryAfter) });
      }
      if (knobs.failing > 0) {
        knobs.failing -= 1;
        return send(response, knobs.failStatus, { errors: [{ message: 'Internal Server Error' }] });
      }
      const authorization = request.headers.authorization ?? '';
      if (!authorization.startsWith('Bearer ')) return send(response, 401, { errors: [{ message: 'Not Authorized', extensions: { code: 'UNAUTHENTICATED' } }] });
      let body: { query?: unknown; variables?: unknown };
      try {
        body = (await readJson(request)) as typeof body;
      } catch {
        return send(response, 400, { errors: [{ message: 'Unexpected token in JSON body', extensions: { code: 'BAD_REQUEST' } }] });
      }
      knobs.remaining -= 1;
      if (authorization !== `Bearer ${token}`) return send(response, 200, { data: null, errors: [{ message: 'Not Authorized', extensions: { code: 'UNAUTHORIZED' } }] }, rateHeaders());
      if (typeof body.query !== 'string') return send(response, 400, { errors: [{ message: 'Must provide query string.' }] });
      const match = /^\s*(query|mutation)\b[^{]*\{\s*(\w+)/.exec(body.query);
      const kind = match?.[1];
      const field = match?.[2] ?? '';
      const schema = (variableSchemas as Record<string, z.ZodType>)[field];
      if (!schema || (kind === 'mutation') !== mutations.has(field)) {
        return send(response, 400, { errors: [{ message: `Cannot query field "${field}" on type "${kind === 'mutation' ? 'Mutation' : 'Query'}".`, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }] });
      }
      const parsed = schema.safeParse(body.variables ?? {});
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        return send(response, 400, { errors: [{ message: `Variable "$${String(issue?.path[0] ?? 'input')}" got invalid value at "${issue?.path.join('.')}": ${issue?.message}`, extensions: { code: 'BAD_USER_INPUT' } }] }, rateHeaders());
      }
      calls.push(field);
      try {
        const resolve = (resolvers as unknown as Record<string, (variables: unknown) => unknown>)[field];
        const data = resolve?.(parsed.data);
        send(response, 200, { data: { [field]: data } }, rateHeaders());
      } catch (error) {
        if (!(error instanceof GraphqlError)) throw error;
        send(response, 200, { data: null, errors: [{ message: error.message, path: [field], extensions: {} }] }, rateHeaders());
      }
    })().catch((error: unknown) => send(response, 500, { errors: [{ message: String(error) }] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/graphql/v2`,
    token,
    workspaceId,
    projects,
    services,
    deployments,
    calls,
    triggers,
    uploads,
    addCommit: ({ repo, sha, files }) => {
      repos.set(repo, new Set([...(repos.get(repo) ?? []), sha]));
      commitFiles.set(`${repo}@${sha}`, filesByPath(files));
    },
    push: ({ repo, branch, sha }) => {
      repos.set(repo, new Set([...(repos.get(repo) ?? []), sha]));
      const started: string[] = [];
      for (const trigger of triggers.values()) {
        const service = services.get(trigger.serviceId);
        if (!service || trigger.repository !== repo || trigger.branch !== branch) continue;
        started.push(createDeployment(service, trigger.environmentId, sha, null).id);
      }
      return started;
    },
    addRepo: (repo, commits) => {
      if (commits === 'any') anyCommit.add(repo);
      repos.set(repo, new Set([...(repos.get(repo) ?? []), ...(commits === 'any' ? [] : commits)]));
    },
    failNextBuild: () => {
      knobs.failNextBuild = true;
    },
    setSlowBuilds: (extraPolls) => {
      knobs.slowPolls = extraPolls;
    },
    rateLimitNext: (count, seconds = 1) => {
      knobs.rateLimited = count;
      knobs.retryAfter = seconds;
    },
    failNext: (count, status = 500) => {
      knobs.failing = count;
      knobs.failStatus = status;
    },
    vanishDeployment: (deploymentId) => {
      deployments.delete(deploymentId);
    },
    appendLogs: (deploymentId, stream, count, prefix = 'line') => {
      const deployment = deployments.get(deploymentId);
      if (!deployment) throw new Error(`no deployment ${deploymentId}`);
      for (let index = 0; index < count; index += 1) {
        clock += 1;
        deployment[stream].push({ timestamp: `${new Date(clock).toISOString().slice(0, 23)}000000Z`, message: `${prefix} ${index}`, severity: 'info' });
      }
    },
    close: () => new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
