import { createHash } from 'node:crypto';
import type { FakeRepository } from './fake-github-server.js';
import type { Signature } from './git-object-store.js';

/** What `before` / `after` hold for a ref that did not exist before / does not exist after a push. */
export const ZERO_SHA = '0'.repeat(40);

/** A stable numeric id for an account login (GitHub ids are numbers). */
export function accountId(login: string): number {
  return createHash('sha1').update(login.toLowerCase()).digest().readUInt32BE(0) % 100_000_000;
}

/** The account part of a payload (`sender`, an owner). */
export function accountPayload(login: string, type: 'User' | 'Organization' | 'Bot'): Record<string, unknown> {
  return { login, id: accountId(login), node_id: `U_${accountId(login)}`, type, site_admin: false, html_url: `https://github.com/${login}`, url: `https://api.github.com/users/${login}` };
}

/** A repository as push payloads show it (`url` is the web address there, and dates are epoch seconds). */
export function repositoryPayload(repo: FakeRepository, ownerType: 'User' | 'Organization'): Record<string, unknown> {
  const htmlUrl = `https://github.com/${repo.owner}/${repo.name}`;
  return {
    id: repo.id,
    node_id: `R_${repo.id}`,
    name: repo.name,
    full_name: `${repo.owner}/${repo.name}`,
    private: repo.private,
    owner: { name: repo.owner, email: null, ...accountPayload(repo.owner, ownerType) },
    html_url: htmlUrl,
    description: null,
    fork: false,
    url: htmlUrl,
    created_at: repo.createdAt,
    pushed_at: Math.floor(Date.now() / 1000),
    default_branch: repo.defaultBranch,
    master_branch: repo.defaultBranch,
    ...(ownerType === 'Organization' ? { organization: repo.owner } : {}),
  };
}

const timestamp = (who: Signature) => new Date(who.time * 1000).toISOString().replace('.000Z', '+00:00');

/** Paths a commit added, removed and modified against its first parent (all added for a root commit). */
function changedPaths(repo: FakeRepository, sha: string): { added: string[]; removed: string[]; modified: string[] } {
  const commit = repo.objects.commit(sha);
  const after = repo.objects.flatten(commit?.tree ?? '');
  const parent = commit?.parents[0] ? repo.objects.commit(commit.parents[0]) : undefined;
  const before = parent ? repo.objects.flatten(parent.tree) : new Map();
  const added: string[] = [];
  const modified: string[] = [];
  for (const [path, leaf] of after) {
    const old = before.get(path);
    if (!old) added.push(path);
    else if (old.sha !== leaf.sha || old.mode !== leaf.mode) modified.push(path);
  }
  const removed = [...before.keys()].filter((path) => !after.has(path));
  const sorted = (paths: string[]) => paths.sort();
  return { added: sorted(added), removed: sorted(removed), modified: sorted(modified) };
}

/** One entry of a push payload's `commits` (and its `head_commit`). */
export function commitPayload(repo: FakeRepository, sha: string, distinct: boolean): Record<string, unknown> {
  const commit = repo.objects.commit(sha);
  if (!commit) throw new Error(`no commit ${sha}`);
  const person = (who: Signature) => ({ name: who.name, email: who.email, date: timestamp(who) });
  return {
    id: sha,
    tree_id: commit.tree,
    distinct,
    // git stores the message with its final newline; GitHub shows it without.
    message: commit.message.replace(/\n$/, ''),
    timestamp: timestamp(commit.committer),
    url: `https://github.com/${repo.owner}/${repo.name}/commit/${sha}`,
    author: person(commit.author),
    committer: person(commit.committer),
    ...changedPaths(repo, sha),
  };
}

/** Commits reachable from `head` but from none of `excluded`, parents before children. */
function newCommits(repo: FakeRepository, head: string, excluded: ReadonlySet<string>): string[] {
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (sha: string): void => {
    if (seen.has(sha) || excluded.has(sha)) return;
    seen.add(sha);
    for (const parent of repo.objects.commit(sha)?.parents ?? []) visit(parent);
    order.push(sha);
  };
  visit(head);
  return order;
}

/** A ref move, as {@link pushPayload} describes it. */
export interface RefMove {
  /** Full ref name, e.g. `refs/heads/main`. */
  ref: string;
  /** The commit before the move, or {@link ZERO_SHA} when the ref was created. */
  before: string;
  /** The commit after the move, or {@link ZERO_SHA} when the ref was deleted. */
  after: string;
  /** Heads of the repository's other branches before the move (what `distinct` and a new branch's commits are measured against). */
  otherHeads: ReadonlyArray<string>;
  /** Login of who pushed (a person, or the token's account for a move made through the API). */
  pusher: string;
  ownerType: 'User' | 'Organization';
}

/**
 * The `push` event payload for a ref move, with the fields the octokit/webhooks schema
 * requires: `ref, before, after, created, deleted, forced, base_ref, compare, commits,
 * head_commit, repository, pusher, sender` (plus `organization` for an organization's
 * repository). `commits` are the commits the move added (for a new branch: those no other
 * branch holds), oldest first.
 */
export function pushPayload(repo: FakeRepository, move: RefMove): Record<string, unknown> {
  const created = move.before === ZERO_SHA;
  const deleted = move.after === ZERO_SHA;
  const forced = !created && !deleted && !repo.objects.ancestors(move.after).has(move.before);
  const elsewhere = new Set(move.otherHeads.flatMap((head) => [...repo.objects.ancestors(head)]));
  const excluded = created ? elsewhere : new Set([...repo.objects.ancestors(move.before)]);
  const commits = deleted ? [] : newCommits(repo, move.after, excluded).map((sha) => commitPayload(repo, sha, !elsewhere.has(sha)));
  const web = `https://github.com/${repo.owner}/${repo.name}`;
  const short = (sha: string) => sha.slice(0, 12);
  return {
    ref: move.ref,
    before: move.before,
    after: move.after,
    created,
    deleted,
    forced,
    base_ref: null,
    compare: created ? `${web}/compare/${move.ref.replace(/^refs\/(heads|tags)\//, '')}` : `${web}/compare/${short(move.before)}...${short(move.after)}`,
    commits,
    head_commit: deleted ? null : commitPayload(repo, move.after, !elsewhere.has(move.after)),
    repository: repositoryPayload(repo, move.ownerType),
    pusher: { name: move.pusher, email: `${move.pusher}@users.noreply.github.com` },
    ...(move.ownerType === 'Organization' ? { organization: { login: repo.owner, id: accountId(repo.owner), node_id: `O_${accountId(repo.owner)}`, url: `https://api.github.com/orgs/${repo.owner}`, description: null } } : {}),
    sender: accountPayload(move.pusher, move.pusher.endsWith('[bot]') ? 'Bot' : 'User'),
  };
}
