import { createPublicKey, verify } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type FlatEntry, GitObjectStore, type Signature } from './git-object-store.js';
import { handleGitRoutes } from './git-routes.js';
import { accountId, accountPayload, pushPayload, repositoryPayload, ZERO_SHA } from './push-payload.js';
import { type FakeWebhook, type WebhookDelivery, WebhookDeliveries } from './webhook-deliveries.js';

const DOCS = 'https://docs.github.com/rest';

/** An error answer with GitHub's body shape. */
export class GitHubHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** One repository of the fake. */
export interface FakeRepository {
  /** GitHub's numeric repository id. */
  id: number;
  /** Epoch seconds. */
  createdAt: number;
  owner: string;
  name: string;
  private: boolean;
  defaultBranch: string;
  objects: GitObjectStore;
  /** `refs/heads/main` → commit SHA. */
  refs: Map<string, string>;
}

/** A scripted misbehaviour for the next matching requests. */
export interface Injection {
  match: (method: string, path: string) => boolean;
  remaining: number;
  respond: () => GitHubHttpError;
}

/** What {@link FakeGitHub.push} pushes. */
export interface FakePushInput {
  /** Default: the repository's default branch. */
  branch?: string;
  /** Files written on top of the base commit's tree. */
  files?: Record<string, string | Buffer>;
  /** Paths removed from it. */
  deletes?: string[];
  /** Default `A change pushed outside Vector`; stored with git's final newline. */
  message?: string;
  /** Author and committer. Default `Someone Else <else@example.com>`. */
  author?: { name: string; email: string };
  /**
   * The commit to build on: default the branch's head; another commit (e.g. an older one)
   * makes a commit that leaves the head out, and `null` a root commit. Either needs `force`.
   */
  onto?: string | null;
  /** Allow a move that is not a fast-forward (`git push --force`); without it such a push is rejected, as git rejects it. */
  force?: boolean;
  /** Login of the person pushing (`pusher` / `sender` of the webhook). Default `someone-else`. */
  pusher?: string;
}

/** What {@link FakeGitHub.addWebhook} registers. */
export interface AddWebhookInput {
  owner: string;
  /** Omit for an organization webhook, which receives the events of all the owner's repositories. */
  repository?: string;
  /** Where deliveries are POSTed. */
  url: string;
  /** Signs deliveries (`X-Hub-Signature-256`); unsigned without one. */
  secret?: string;
  /** Default `json` (GitHub's own default is `form`; Vector's hooks are created with `json`). */
  contentType?: 'json' | 'form';
  /** Default `['push']` (GitHub's default); `['*']` for all. */
  events?: string[];
}

/** A logged request. */
export interface LoggedRequest {
  method: string;
  path: string;
  body: unknown;
}

/**
 * A small, faithful fake of the GitHub REST endpoints `@vector/storage-github` uses, over
 * real HTTP. Objects are real git objects (SHAs match the `git` CLI). Knobs make it
 * misbehave: rate-limit answers, 5xx, a branch moved behind the client's back, truncated
 * recursive trees, capped compare file lists.
 */
export class FakeGitHub {
  readonly repositories = new Map<string, FakeRepository>();
  readonly organizations = new Set<string>(['acme']);
  readonly tokens = new Map<string, string>([['test-token', 'octocat']]);
  readonly requests: LoggedRequest[] = [];
  readonly injections: Injection[] = [];
  readonly stalls: Array<{ match: (method: string, path: string) => boolean; remaining: number }> = [];
  private readonly stalled: ServerResponse[] = [];
  readonly beforeHandlers: Array<{ match: (method: string, path: string) => boolean; run: () => void }> = [];
  /** GitHub App used for installation tokens: id, PEM public key, installation id. */
  app: { appId: string; publicKeyPem: string; installationId: number } | null = null;
  maxRecursiveTreeEntries = 100_000;
  compareFileCap = 300;
  /** Misbehaviour: rewrite inline tree `content` before storing it (e.g. a normalising proxy). */
  inlineContentFilter: ((content: string) => string) | null = null;
  /** Misbehaviour: change the files of a tree being created before it is stored (e.g. lose one). */
  treeFilesFilter: ((files: Map<string, FlatEntry>) => void) | null = null;
  /** GitHub documents no order for a create-tree request's entries: apply writes before `sha: null` deletions. */
  treeWritesFirst = false;
  url = '';
  private server: Server | null = null;
  private clock = 1_700_000_000;
  private nextRepositoryId = 1000;
  private readonly webhooks = new WebhookDeliveries();

  /** Every webhook delivery so far, in the order they were started. */
  get deliveries(): ReadonlyArray<WebhookDelivery> {
    return this.webhooks.deliveries;
  }

  /** Seconds since the epoch for new commits; advances by one per call so commits differ. */
  now(): number {
    this.clock += 1;
    return this.clock;
  }

  async start(): Promise<string> {
    this.server = createServer((request, response) => void this.handle(request, response));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async close(): Promise<void> {
    await this.webhooks.flush();
    for (const response of this.stalled.splice(0)) response.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  repository(owner: string, name: string): FakeRepository | undefined {
    return this.repositories.get(`${owner}/${name}`.toLowerCase());
  }

  /** Creates a repository; `autoInit` makes GitHub's initial README commit (no webhook can see it: none exists yet). */
  createRepository(owner: string, name: string, options: { autoInit?: boolean; private?: boolean; files?: Record<string, string | Buffer> } = {}): FakeRepository {
    const repo: FakeRepository = { id: this.nextRepositoryId++, createdAt: this.clock, owner, name, private: options.private ?? true, defaultBranch: 'main', objects: new GitObjectStore(), refs: new Map() };
    this.repositories.set(`${owner}/${name}`.toLowerCase(), repo);
    const files = options.files ?? (options.autoInit ? { 'README.md': `# ${name}\n` } : null);
    if (files) repo.refs.set('refs/heads/main', this.writeCommit(repo, { base: null, files, deletes: [], message: 'Initial commit', author: { name: 'Someone Else', email: 'else@example.com' } }));
    return repo;
  }

  /** Commits files on top of a branch the way a `git push` would (used for "someone pushed"); see {@link push}. */
  commitFiles(repo: FakeRepository, branch: string, files: Record<string, string | Buffer>, message: string): string {
    return this.push(repo, { branch, files, message });
  }

  /**
   * A person's `git push` of one new commit: writes it on top of the branch's head (or of
   * `onto`), moves the branch, and delivers a `push` event to the repository's webhooks.
   * Returns the commit's SHA. A commit that does not contain the head is refused unless
   * `force` is set (then the event says `forced: true`).
   */
  push(repo: FakeRepository, input: FakePushInput = {}): string {
    const branch = input.branch ?? repo.defaultBranch;
    const head = repo.refs.get(`refs/heads/${branch}`) ?? null;
    const base = input.onto === undefined ? head : input.onto;
    if (base !== null && !repo.objects.commit(base)) throw new Error(`push: ${base} is not a commit of ${repo.owner}/${repo.name}`);
    const sha = this.writeCommit(repo, { base, files: input.files ?? {}, deletes: input.deletes ?? [], message: input.message ?? 'A change pushed outside Vector', author: input.author ?? { name: 'Someone Else', email: 'else@example.com' } });
    if (head !== null && !repo.objects.ancestors(sha).has(head) && !input.force) throw new Error(`push rejected: ${sha} does not contain ${head} (non-fast-forward); pass force`);
    this.moveRef(repo, `refs/heads/${branch}`, sha, { pusher: input.pusher ?? 'someone-else' });
    return sha;
  }

  /**
   * Moves (`sha`), creates or deletes (`sha: null`) a ref and, as GitHub does for every ref
   * change however it was made — a push, or the refs API — delivers a `push` event to the
   * webhooks of the repository and of its organization.
   */
  moveRef(repo: FakeRepository, ref: string, sha: string | null, options: { pusher: string }): void {
    const before = repo.refs.get(ref) ?? ZERO_SHA;
    const otherHeads = [...repo.refs].filter(([name]) => name !== ref && name.startsWith('refs/heads/')).map(([, head]) => head);
    if (sha === null) repo.refs.delete(ref);
    else repo.refs.set(ref, sha);
    const after = sha ?? ZERO_SHA;
    if (before === after) return;
    const hooks = this.webhooks.hooksFor(repo.owner, repo.name, 'push');
    if (hooks.length === 0) return;
    const payload = pushPayload(repo, { ref, before, after, otherHeads, pusher: options.pusher, ownerType: this.ownerTypeOf(repo.owner) });
    for (const hook of hooks) this.webhooks.send(hook, 'push', payload);
  }

  /**
   * Registers a webhook (a repository's, or with no `repository` an organization's) and,
   * like GitHub, sends it a `ping` event at once. Every later ref change of a matching
   * repository is POSTed to `url` as a signed `push` event; see {@link flushDeliveries}.
   */
  addWebhook(input: AddWebhookInput): FakeWebhook {
    const repo = input.repository === undefined ? undefined : this.repository(input.owner, input.repository);
    if (input.repository !== undefined && !repo) throw new Error(`addWebhook: no repository ${input.owner}/${input.repository}`);
    if (input.repository === undefined && !this.organizations.has(input.owner)) throw new Error(`addWebhook: ${input.owner} is not an organization`);
    const hook = this.webhooks.add({
      owner: repo?.owner ?? input.owner,
      repository: repo?.name ?? null,
      url: input.url,
      secret: input.secret ?? null,
      contentType: input.contentType ?? 'json',
      events: input.events ?? ['push'],
      targetId: repo?.id ?? accountId(input.owner),
    });
    const ownerType = this.ownerTypeOf(hook.owner);
    this.webhooks.send(hook, 'ping', {
      zen: 'Keep it logically awesome.',
      hook_id: hook.id,
      hook: { type: repo ? 'Repository' : 'Organization', id: hook.id, name: 'web', active: true, events: hook.events, config: { content_type: hook.contentType, insecure_ssl: '0', url: hook.url } },
      ...(repo ? { repository: repositoryPayload(repo, ownerType) } : {}),
      ...(ownerType === 'Organization' ? { organization: { login: hook.owner, id: accountId(hook.owner) } } : {}),
      sender: accountPayload('octocat', 'User'),
    });
    return hook;
  }

  /** Deletes a webhook (`DELETE /repos/{o}/{r}/hooks/{id}`); later changes are not delivered to it. */
  removeWebhook(id: number): boolean {
    return this.webhooks.remove(id);
  }

  /** Waits for every webhook delivery started so far (and any their receivers caused) to be answered or fail; returns all deliveries. */
  flushDeliveries(): Promise<ReadonlyArray<WebhookDelivery>> {
    return this.webhooks.flush();
  }

  private ownerTypeOf(owner: string): 'User' | 'Organization' {
    return this.organizations.has(owner) ? 'Organization' : 'User';
  }

  private writeCommit(repo: FakeRepository, input: { base: string | null; files: Record<string, string | Buffer>; deletes: ReadonlyArray<string>; message: string; author: { name: string; email: string } }): string {
    const flat: Map<string, FlatEntry> = input.base ? repo.objects.flatten(repo.objects.commit(input.base)?.tree ?? '') : new Map();
    for (const [path, content] of Object.entries(input.files)) flat.set(path, { mode: '100644', type: 'blob', sha: repo.objects.putBlob(Buffer.from(content)) });
    for (const path of input.deletes) flat.delete(path);
    const who: Signature = { ...input.author, time: this.now() };
    return repo.objects.putCommit({ tree: repo.objects.buildTree(flat), parents: input.base ? [input.base] : [], author: who, committer: who, message: `${input.message}\n` });
  }

  /** Answers the next `count` matching requests with a rate-limit error. */
  injectRateLimit(options: { kind: 'primary' | 'secondary'; status?: 403 | 429; count?: number; retryAfterSeconds?: number; resetInSeconds?: number; match?: (method: string, path: string) => boolean }): void {
    this.injections.push({
      match: options.match ?? (() => true),
      remaining: options.count ?? 1,
      respond: () => {
        if (options.kind === 'primary') {
          const reset = Math.floor(Date.now() / 1000) + (options.resetInSeconds ?? 0);
          return new GitHubHttpError(options.status ?? 403, 'API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, please include the request ID.', {}, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) });
        }
        return new GitHubHttpError(options.status ?? 403, 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.', {}, { 'retry-after': String(options.retryAfterSeconds ?? 1) });
      },
    });
  }

  /** Answers the next `count` matching requests with `status` (e.g. 502). */
  injectFailure(options: { status: number; count?: number; match?: (method: string, path: string) => boolean }): void {
    this.injections.push({ match: options.match ?? (() => true), remaining: options.count ?? 1, respond: () => new GitHubHttpError(options.status, options.status >= 500 ? 'Server Error' : 'Injected failure') });
  }

  /** Leaves the next `count` matching requests unanswered (a stalled connection); the client has to give up. */
  stall(options: { count?: number; match: (method: string, path: string) => boolean }): void {
    this.stalls.push({ match: options.match, remaining: options.count ?? 1 });
  }

  /** Runs `run` just before the next matching request is handled (e.g. push while a save is in flight). */
  beforeNext(match: (method: string, path: string) => boolean, run: () => void): void {
    this.beforeHandlers.push({ match, run });
  }

  private authenticate(request: IncomingMessage, path: string): string {
    const header = request.headers.authorization ?? '';
    const [scheme, credential] = header.split(' ');
    if (path.startsWith('/app/')) {
      if (scheme?.toLowerCase() !== 'bearer' || !credential || !this.app || !this.verifyJwt(credential)) throw new GitHubHttpError(401, 'A JSON web token could not be decoded');
      return 'app';
    }
    const login = credential && /^(bearer|token)$/i.test(scheme ?? '') ? this.tokens.get(credential) : undefined;
    if (!login) throw new GitHubHttpError(401, 'Bad credentials');
    return login;
  }

  private verifyJwt(jwt: string): boolean {
    const [header, payload, signature] = jwt.split('.');
    if (!header || !payload || !signature || !this.app) return false;
    const valid = verify('RSA-SHA256', Buffer.from(`${header}.${payload}`), createPublicKey(this.app.publicKeyPem), Buffer.from(signature, 'base64url'));
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { iss?: unknown; exp?: number; iat?: number };
    const now = Math.floor(Date.now() / 1000);
    return valid && String(claims.iss) === this.app.appId && typeof claims.exp === 'number' && claims.exp > now && claims.exp - (claims.iat ?? 0) <= 660;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const method = request.method ?? 'GET';
    const url = new URL(request.url ?? '/', 'http://fake');
    const path = decodeURIComponent(url.pathname);
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      const reset = String(Math.floor(Date.now() / 1000) + 3600);
      response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '4999', 'x-ratelimit-reset': reset, 'x-ratelimit-used': '1', 'x-ratelimit-resource': 'core', ...headers });
      response.end(body === undefined ? undefined : JSON.stringify(body));
    };
    try {
      let body: unknown = undefined;
      if (raw.length > 0) {
        try {
          body = JSON.parse(raw);
        } catch {
          throw new GitHubHttpError(400, 'Problems parsing JSON');
        }
      }
      this.requests.push({ method, path, body });
      if (!request.headers['user-agent']) throw new GitHubHttpError(403, 'Request forbidden by administrative rules. Please make sure your request has a User-Agent header');
      const login = this.authenticate(request, path);
      const stall = this.stalls.find((candidate) => candidate.remaining > 0 && candidate.match(method, path));
      if (stall) {
        stall.remaining -= 1;
        this.stalled.push(response);
        return;
      }
      const injection = this.injections.find((candidate) => candidate.remaining > 0 && candidate.match(method, path));
      if (injection) {
        injection.remaining -= 1;
        throw injection.respond();
      }
      const before = this.beforeHandlers.findIndex((candidate) => candidate.match(method, path));
      if (before !== -1) this.beforeHandlers.splice(before, 1)[0]?.run();
      const result = await this.route({ method, path, query: url.searchParams, body, login });
      send(result.status, result.body);
    } catch (error) {
      if (error instanceof GitHubHttpError) {
        send(error.status, { message: error.message, documentation_url: DOCS, status: String(error.status), ...error.extra }, error.headers);
      } else {
        send(500, { message: 'Server Error', status: '500' });
      }
    }
  }

  private async route(input: { method: string; path: string; query: URLSearchParams; body: unknown; login: string }): Promise<{ status: number; body: unknown }> {
    const { method, path, body } = input;
    const token = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(path);
    if (token && method === 'POST') {
      if (!this.app || Number(token[1]) !== this.app.installationId) throw new GitHubHttpError(404, 'Not Found');
      const minted = `ghs_fake${this.tokens.size}${Math.random().toString(36).slice(2, 10)}`;
      this.tokens.set(minted, 'fake-app[bot]');
      return { status: 201, body: { token: minted, expires_at: new Date(Date.now() + 3_600_000).toISOString(), permissions: { contents: 'write', administration: 'write' }, repository_selection: 'all' } };
    }
    const orgRepos = /^\/orgs\/([^/]+)\/repos$/.exec(path);
    if ((orgRepos && method === 'POST') || (path === '/user/repos' && method === 'POST')) {
      const owner = orgRepos ? (orgRepos[1] as string) : input.login;
      if (orgRepos && !this.organizations.has(owner)) throw new GitHubHttpError(404, 'Not Found');
      const fields = asObject(body);
      if (typeof fields.name !== 'string' || fields.name.length === 0) {
        throw new GitHubHttpError(422, 'Repository creation failed.', { errors: [{ resource: 'Repository', code: 'missing_field', field: 'name' }] });
      }
      if (this.repository(owner, fields.name)) {
        throw new GitHubHttpError(422, 'Repository creation failed.', { errors: [{ resource: 'Repository', code: 'custom', field: 'name', message: 'name already exists on this account' }] });
      }
      const repo = this.createRepository(owner, fields.name, { autoInit: fields.auto_init === true, private: fields.private !== false });
      return { status: 201, body: repoJson(repo, this.url) };
    }
    const repoMatch = /^\/repos\/([^/]+)\/([^/]+)(\/.*)?$/.exec(path);
    if (!repoMatch) throw new GitHubHttpError(404, 'Not Found');
    const repo = this.repository(repoMatch[1] as string, repoMatch[2] as string);
    if (!repo) throw new GitHubHttpError(404, 'Not Found');
    const rest = repoMatch[3] ?? '';
    if (rest === '' && method === 'GET') return { status: 200, body: repoJson(repo, this.url) };
    if (rest === '' && method === 'DELETE') {
      this.repositories.delete(`${repo.owner}/${repo.name}`.toLowerCase());
      return { status: 204, body: undefined };
    }
    return handleGitRoutes(this, repo, { method, rest, query: input.query, body, login: input.login });
  }
}

/** The body as an object, or GitHub's 400 for anything else. */
export function asObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new GitHubHttpError(400, 'Body should be a JSON object');
  return body as Record<string, unknown>;
}

function repoJson(repo: FakeRepository, baseUrl: string): Record<string, unknown> {
  return { id: repo.id, name: repo.name, full_name: `${repo.owner}/${repo.name}`, owner: { login: repo.owner }, private: repo.private, default_branch: repo.defaultBranch, url: `${baseUrl}/repos/${repo.owner}/${repo.name}`, html_url: `https://github.com/${repo.owner}/${repo.name}` };
}
