import type { FakeGitHub, FakeRepository } from './fake-github-server.js';
import { asObject, GitHubHttpError } from './fake-github-server.js';
import type { FlatEntry, Signature } from './git-object-store.js';

const MODES = new Set(['100644', '100755', '040000', '160000', '120000']);
const SHA = /^[0-9a-f]{40}$/;

type Reply = { status: number; body: unknown };

function invalid(message: string, field?: string, code = 'invalid'): GitHubHttpError {
  return new GitHubHttpError(422, message, field ? { errors: [{ resource: 'Git', field, code }] } : {});
}

function requireNotEmpty(repo: FakeRepository): void {
  // GitHub's Git Data API refuses repositories without a commit.
  if (repo.refs.size === 0) throw new GitHubHttpError(409, 'Git Repository is empty.');
}

function refJson(repo: FakeRepository, ref: string, sha: string) {
  return { ref, node_id: 'REF', url: `/repos/${repo.owner}/${repo.name}/git/${ref}`, object: { sha, type: 'commit', url: `/repos/${repo.owner}/${repo.name}/git/commits/${sha}` } };
}

function commitJson(repo: FakeRepository, sha: string) {
  const commit = repo.objects.commit(sha);
  if (!commit) throw new GitHubHttpError(404, 'Not Found');
  const who = (signature: Signature) => ({ name: signature.name, email: signature.email, date: new Date(signature.time * 1000).toISOString().replace('.000Z', 'Z') });
  return { sha, node_id: 'C', url: '', html_url: '', author: who(commit.author), committer: who(commit.committer), message: commit.message, tree: { sha: commit.tree, url: '' }, parents: commit.parents.map((parent) => ({ sha: parent, url: '', html_url: '' })), verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null } };
}

function signature(value: unknown, field: string, fake: FakeGitHub): Signature {
  if (value === undefined) return { name: 'octocat', email: 'octocat@github.com', time: fake.now() };
  const fields = asObject(value);
  if (typeof fields.name !== 'string' || typeof fields.email !== 'string') throw invalid(`Invalid request.\n\n"name" and "email" are required for ${field}.`, field, 'missing_field');
  const time = typeof fields.date === 'string' ? Math.floor(Date.parse(fields.date) / 1000) : fake.now();
  if (!Number.isFinite(time)) throw invalid(`Invalid request.\n\n${field}.date is not a valid date.`, `${field}.date`);
  return { name: fields.name, email: fields.email, time };
}

function createTree(fake: FakeGitHub, repo: FakeRepository, body: Record<string, unknown>): string {
  const { objects } = repo;
  if (!Array.isArray(body.tree)) throw invalid('Invalid request.\n\n"tree" wasn\'t supplied.', 'tree', 'missing_field');
  let files = new Map<string, FlatEntry>();
  if (body.base_tree !== undefined && body.base_tree !== null) {
    if (typeof body.base_tree !== 'string' || !objects.tree(body.base_tree)) throw invalid('base_tree is not a valid tree oid', 'base_tree');
    files = objects.flatten(body.base_tree);
  }
  const isDeletion = (raw: unknown) => asObject(raw).sha === null;
  const ordered = fake.treeWritesFirst ? [...body.tree.filter((raw) => !isDeletion(raw)), ...body.tree.filter(isDeletion)] : body.tree;
  for (const raw of ordered) {
    const entry = asObject(raw);
    const { path, mode, type } = entry;
    if (typeof path !== 'string' || path.length === 0 || path.startsWith('/') || path.endsWith('/') || path.split('/').some((segment) => segment === '' || segment === '.' || segment === '..' || segment === '.git')) {
      throw invalid(`tree.path ${JSON.stringify(path)} is invalid`, 'tree.path');
    }
    if (typeof mode !== 'string' || !MODES.has(mode)) throw invalid(`Invalid tree info: mode ${JSON.stringify(mode)} is not one of 100644, 100755, 040000, 160000, 120000`, 'tree.mode');
    if (type !== 'blob' && type !== 'tree' && type !== 'commit') throw invalid(`Invalid tree info: type ${JSON.stringify(type)} is not blob, tree or commit`, 'tree.type');
    const hasSha = 'sha' in entry;
    const hasContent = 'content' in entry;
    if (hasSha === hasContent) throw invalid('Must supply either tree.sha or tree.content. Request will be rejected if both are present.', 'tree');
    if (hasSha && entry.sha === null) {
      const below = [...files.keys()].filter((existing) => existing === path || existing.startsWith(`${path}/`));
      if (below.length === 0) throw invalid(`GitHub cannot delete ${path}: the path does not exist in base_tree`, 'tree.path');
      for (const existing of below) files.delete(existing);
      continue;
    }
    let sha: string;
    if (hasContent) {
      if (typeof entry.content !== 'string' || type !== 'blob') throw invalid('tree.content must be a string for blobs', 'tree.content');
      sha = objects.putBlob(Buffer.from(fake.inlineContentFilter ? fake.inlineContentFilter(entry.content) : entry.content, 'utf8'));
    } else {
      if (typeof entry.sha !== 'string' || !SHA.test(entry.sha)) throw invalid('tree.sha must be a 40-character SHA', 'tree.sha');
      sha = entry.sha;
      if (type === 'blob' && objects.typeOf(sha) !== 'blob') throw invalid(`tree.sha ${sha} is not a valid blob`, 'tree.sha');
      if (type === 'tree' && objects.typeOf(sha) !== 'tree') throw invalid(`tree.sha ${sha} is not a valid tree`, 'tree.sha');
    }
    for (const existing of [...files.keys()]) if (existing.startsWith(`${path}/`)) files.delete(existing);
    if (type === 'tree') for (const [nested, leaf] of objects.flatten(sha)) files.set(`${path}/${nested}`, leaf);
    else files.set(path, { mode, type, sha });
  }
  // A path that is a file and a directory at once cannot be written as a git tree.
  for (const path of files.keys()) {
    const segments = path.split('/');
    for (let length = 1; length < segments.length; length += 1) {
      if (files.has(segments.slice(0, length).join('/'))) throw invalid(`tree.path ${path} conflicts with a file`, 'tree.path');
    }
  }
  fake.treeFilesFilter?.(files);
  return objects.buildTree(files);
}

function compare(fake: FakeGitHub, repo: FakeRepository, basehead: string): Reply {
  const match = /^(.+?)\.\.\.(.+)$/.exec(basehead);
  const resolve = (name: string) => (SHA.test(name) && repo.objects.commit(name) ? name : repo.refs.get(`refs/heads/${name}`));
  const base = match ? resolve(match[1] as string) : undefined;
  const head = match ? resolve(match[2] as string) : undefined;
  if (!base || !head) throw new GitHubHttpError(404, 'Not Found');
  const mergeBase = repo.objects.mergeBase(base, head);
  if (!mergeBase) throw new GitHubHttpError(404, `No common ancestor between ${base} and ${head}.`);
  // `git rev-list base..head` and `head..base`: commits each side has that the other lacks.
  const fromBase = repo.objects.ancestors(base);
  const fromHead = repo.objects.ancestors(head);
  const aheadOf = [...fromHead].filter((sha) => !fromBase.has(sha));
  const behindBy = [...fromBase].filter((sha) => !fromHead.has(sha)).length;
  const status = aheadOf.length === 0 && behindBy === 0 ? 'identical' : behindBy === 0 ? 'ahead' : aheadOf.length === 0 ? 'behind' : 'diverged';
  const before = repo.objects.flatten(repo.objects.commit(mergeBase)?.tree ?? '');
  const after = repo.objects.flatten(repo.objects.commit(head)?.tree ?? '');
  const files: Array<Record<string, unknown>> = [];
  const entry = (filename: string, sha: string, state: string, extra: Record<string, unknown> = {}) => ({ sha, filename, status: state, additions: 0, deletions: 0, changes: 0, blob_url: '', raw_url: '', contents_url: '', ...extra });
  const removed = [...before].filter(([path]) => !after.has(path));
  for (const [path, leaf] of after) {
    const old = before.get(path);
    if (!old) {
      const source = removed.findIndex(([, candidate]) => candidate.sha === leaf.sha);
      if (source !== -1) {
        const [previous] = removed.splice(source, 1)[0] as [string, FlatEntry];
        files.push(entry(path, leaf.sha, 'renamed', { previous_filename: previous }));
      } else files.push(entry(path, leaf.sha, 'added'));
    } else if (old.sha !== leaf.sha) files.push(entry(path, leaf.sha, 'modified'));
    else if (old.mode !== leaf.mode) files.push(entry(path, leaf.sha, 'changed'));
  }
  for (const [path, leaf] of removed) files.push(entry(path, leaf.sha, 'removed'));
  files.sort((a, b) => (String(a.filename) < String(b.filename) ? -1 : 1));
  // Oldest first, as GitHub lists them.
  const commits = aheadOf.sort((a, b) => (repo.objects.commit(a)?.committer.time ?? 0) - (repo.objects.commit(b)?.committer.time ?? 0));
  return {
    status: 200,
    body: { status, ahead_by: commits.length, behind_by: behindBy, total_commits: commits.length, base_commit: commitJson(repo, base), merge_base_commit: commitJson(repo, mergeBase), commits: commits.slice(0, 250).map((sha) => commitJson(repo, sha)), files: files.slice(0, fake.compareFileCap), url: '', html_url: '', permalink_url: '', diff_url: '', patch_url: '' },
  };
}

/** Git Data API and compare routes of one repository. */
export function handleGitRoutes(fake: FakeGitHub, repo: FakeRepository, input: { method: string; rest: string; query: URLSearchParams; body: unknown; login: string }): Reply {
  const { method, rest, body } = input;
  const { objects } = repo;
  const compareMatch = /^\/compare\/(.+)$/.exec(rest);
  if (compareMatch && method === 'GET') return compare(fake, repo, compareMatch[1] as string);

  if (!rest.startsWith('/git/')) throw new GitHubHttpError(404, 'Not Found');
  requireNotEmpty(repo);
  const getRef = /^\/git\/ref\/((?:heads|tags)\/.+)$/.exec(rest);
  if (getRef && method === 'GET') {
    const sha = repo.refs.get(`refs/${getRef[1]}`);
    if (!sha) throw new GitHubHttpError(404, 'Not Found');
    return { status: 200, body: refJson(repo, `refs/${getRef[1]}`, sha) };
  }
  if (rest === '/git/refs' && method === 'POST') {
    const fields = asObject(body);
    if (typeof fields.ref !== 'string' || !fields.ref.startsWith('refs/') || fields.ref.split('/').length < 3) throw invalid(`${JSON.stringify(fields.ref)} is not a valid ref name.`, 'ref');
    if (typeof fields.sha !== 'string' || !objects.commit(fields.sha)) throw invalid('Object does not exist', 'sha');
    if (repo.refs.has(fields.ref)) throw invalid('Reference already exists', 'ref', 'already_exists');
    fake.moveRef(repo, fields.ref, fields.sha, { pusher: input.login });
    return { status: 201, body: refJson(repo, fields.ref, fields.sha) };
  }
  const updateRef = /^\/git\/refs\/((?:heads|tags)\/.+)$/.exec(rest);
  if (updateRef && method === 'PATCH') {
    const name = `refs/${updateRef[1]}`;
    const fields = asObject(body);
    const current = repo.refs.get(name);
    if (!current) throw invalid('Reference does not exist', 'ref');
    if (typeof fields.sha !== 'string' || !objects.commit(fields.sha)) throw invalid('Object does not exist', 'sha');
    if (fields.force !== true && !objects.ancestors(fields.sha).has(current)) throw invalid('Update is not a fast forward', 'sha');
    fake.moveRef(repo, name, fields.sha, { pusher: input.login });
    return { status: 200, body: refJson(repo, name, fields.sha) };
  }
  if (rest === '/git/blobs' && method === 'POST') {
    const fields = asObject(body);
    if (typeof fields.content !== 'string') throw invalid('Invalid request.\n\n"content" wasn\'t supplied.', 'content', 'missing_field');
    const encoding = fields.encoding ?? 'utf-8';
    if (encoding !== 'utf-8' && encoding !== 'base64') throw invalid(`encoding ${JSON.stringify(encoding)} is not utf-8 or base64`, 'encoding');
    const sha = objects.putBlob(Buffer.from(fields.content, encoding === 'base64' ? 'base64' : 'utf8'));
    return { status: 201, body: { sha, url: `/repos/${repo.owner}/${repo.name}/git/blobs/${sha}` } };
  }
  const getBlob = /^\/git\/blobs\/([0-9a-f]{40})$/.exec(rest);
  if (getBlob && method === 'GET') {
    const content = objects.blob(getBlob[1] as string);
    if (!content) throw new GitHubHttpError(404, 'Not Found');
    // Real GitHub wraps base64 at 60 characters; clients must ignore the line breaks.
    const wrapped = content.toString('base64').replace(/(.{60})/g, '$1\n');
    return { status: 200, body: { sha: getBlob[1], node_id: 'B', size: content.length, url: '', content: wrapped, encoding: 'base64' } };
  }
  if (rest === '/git/trees' && method === 'POST') {
    const sha = createTree(fake, repo, asObject(body));
    return { status: 201, body: treeJson(fake, repo, sha, false) };
  }
  const getTree = /^\/git\/trees\/(.+)$/.exec(rest);
  if (getTree && method === 'GET') {
    const name = getTree[1] as string;
    const sha = SHA.test(name) ? name : repo.refs.get(`refs/heads/${name}`);
    const treeSha = sha && objects.typeOf(sha) === 'commit' ? objects.commit(sha)?.tree : sha;
    if (!treeSha || !objects.tree(treeSha)) throw new GitHubHttpError(404, 'Not Found');
    return { status: 200, body: treeJson(fake, repo, treeSha, input.query.has('recursive')) };
  }
  if (rest === '/git/commits' && method === 'POST') {
    const fields = asObject(body);
    if (typeof fields.message !== 'string') throw invalid('Invalid request.\n\n"message" wasn\'t supplied.', 'message', 'missing_field');
    if (typeof fields.tree !== 'string' || !objects.tree(fields.tree)) throw invalid('Tree SHA does not exist', 'tree');
    const parents = fields.parents ?? [];
    if (!Array.isArray(parents) || parents.some((parent) => typeof parent !== 'string' || !objects.commit(parent))) throw invalid('Parent SHA does not exist or is not a commit object', 'parents');
    const author = signature(fields.author, 'author', fake);
    const committer = fields.committer === undefined ? author : signature(fields.committer, 'committer', fake);
    const sha = objects.putCommit({ tree: fields.tree, parents: parents as string[], author, committer, message: fields.message });
    return { status: 201, body: commitJson(repo, sha) };
  }
  const getCommit = /^\/git\/commits\/(.+)$/.exec(rest);
  if (getCommit && method === 'GET') {
    if (!SHA.test(getCommit[1] as string)) throw invalid('No commit found for SHA: ' + getCommit[1], 'commit_sha');
    return { status: 200, body: commitJson(repo, getCommit[1] as string) };
  }
  throw new GitHubHttpError(404, 'Not Found');
}

function treeJson(fake: FakeGitHub, repo: FakeRepository, sha: string, recursive: boolean) {
  const entries: Array<{ path: string; mode: string; type: string; sha: string; size?: number }> = [];
  const walk = (treeSha: string, prefix: string) => {
    for (const entry of repo.objects.tree(treeSha) ?? []) {
      const size = entry.type === 'blob' ? repo.objects.blob(entry.sha)?.length : undefined;
      entries.push({ path: `${prefix}${entry.name}`, mode: entry.mode, type: entry.type, sha: entry.sha, ...(size === undefined ? {} : { size }) });
      if (recursive && entry.type === 'tree') walk(entry.sha, `${prefix}${entry.name}/`);
    }
  };
  walk(sha, '');
  const truncated = recursive && entries.length > fake.maxRecursiveTreeEntries;
  return { sha, url: '', truncated, tree: truncated ? entries.slice(0, fake.maxRecursiveTreeEntries) : entries };
}
