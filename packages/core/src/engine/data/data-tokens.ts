import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { UnauthorizedError } from '../../errors/unauthorized-error.js';
import type { EngineContext } from '../engine-context.js';
import { PRODUCTION, previewBranch } from './data-history.js';

/**
 * Deployment data tokens: what a deployed app sends to the runtime data API. A token names its
 * deployment and carries an HMAC of it under a key the engine keeps in its database (made once,
 * shared by every process on that database), so tokens need no table of their own. A token
 * works while its deployment does: never once it is destroyed, failed or past its expiry.
 */

const PREFIX = 'vdt_';
const KEY_NAME = 'data_token_key';

/** Who a valid data token speaks for. */
export interface DataTokenPrincipal {
  organizationId: string;
  projectId: string;
  deploymentId: string;
  /** The data branch it reaches: `production`, or the preview's own. */
  branch: string;
  /** The deployment's own origin (from its URL), the only one browsers may call from; null while it has no URL. */
  origin: string | null;
}

// The key never changes once made: each engine reads it from its database once.
const keys = new WeakMap<EngineContext, Promise<Buffer>>();

/** The engine's signing key for data tokens, made on first use (concurrent first uses agree on one), then kept in memory. */
function signingKey(engine: EngineContext): Promise<Buffer> {
  let key = keys.get(engine);
  if (!key) {
    key = readOrMakeKey(engine);
    keys.set(engine, key);
    // A failed read (the database away) is tried again next time.
    key.catch(() => keys.delete(engine));
  }
  return key;
}

async function readOrMakeKey(engine: EngineContext): Promise<Buffer> {
  await engine.db
    .insertInto('vector_engine_secrets')
    .values({ name: KEY_NAME, value: randomBytes(32).toString('base64url'), created_at: engine.nowIso() })
    .onConflict((conflict) => conflict.column('name').doNothing())
    .execute();
  const row = await engine.db.selectFrom('vector_engine_secrets').select('value').where('name', '=', KEY_NAME).executeTakeFirstOrThrow();
  return Buffer.from(row.value, 'base64url');
}

const mac = (key: Buffer, deploymentId: string) => createHmac('sha256', key).update(`vector-data-token:${deploymentId}`).digest();

/** The data token of a deployment (the same every time it is asked for). */
export async function dataTokenFor(engine: EngineContext, deploymentId: string): Promise<string> {
  const key = await signingKey(engine);
  return `${PREFIX}${Buffer.from(deploymentId).toString('base64url')}.${mac(key, deploymentId).toString('base64url')}`;
}

/**
 * The deployment a data token speaks for, checked: signature, and a deployment that still runs.
 *
 * @throws UnauthorizedError for a malformed, forged or revoked token (the message never says which).
 */
export async function resolveDataToken(engine: EngineContext, token: string): Promise<DataTokenPrincipal> {
  const refused = () => new UnauthorizedError({ message: 'The data token is not valid (unknown, or its deployment was destroyed or expired)' });
  // Stryker disable next-line ConditionalExpression,EqualityOperator: a bound before any decoding; a longer token is not canonical either, and refused below
  if (typeof token !== 'string' || token.length > 400) throw refused();
  if (!token.startsWith(PREFIX)) throw refused();
  const parts = token.slice(PREFIX.length).split('.');
  const [encodedId, signature] = parts;
  if (parts.length !== 2 || !encodedId || !signature) throw refused();
  // Only the one spelling dataTokenFor makes: base64url decoding skips stray characters.
  const deploymentId = Buffer.from(encodedId, 'base64url').toString('utf8');
  const given = Buffer.from(signature, 'base64url');
  if (Buffer.from(deploymentId).toString('base64url') !== encodedId || given.toString('base64url') !== signature) throw refused();
  const expected = mac(await signingKey(engine), deploymentId);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw refused();
  const deployment = await engine.db
    .selectFrom('vector_deployments')
    .select(['id', 'organization_id', 'project_id', 'environment', 'status', 'expires_at', 'url'])
    .where('id', '=', deploymentId)
    .executeTakeFirst();
  if (!deployment || !['pending', 'building', 'live'].includes(deployment.status)) throw refused();
  if (deployment.expires_at !== null && deployment.expires_at <= engine.nowIso()) throw refused();
  return {
    organizationId: deployment.organization_id,
    projectId: deployment.project_id,
    deploymentId: deployment.id,
    branch: deployment.environment === 'preview' ? previewBranch(deployment.id) : PRODUCTION,
    origin: deployment.url ? new URL(deployment.url).origin : null,
  };
}
