import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { ConflictError, type MemberRole, NotFoundError } from '@vector/core';
import type { ExpressionBuilder, Kysely } from 'kysely';
import type { ServerDatabase } from './server-migrations.js';

/** Where an invitation stands. */
export type InvitationStatus = 'pending' | 'accepted' | 'revoked' | 'expired';

/** An invitation as listed: never its token. */
export interface Invitation {
  id: string;
  organizationId: string;
  /** Lower-cased. */
  email: string;
  /** The name the organization knows the person by, or null. */
  name: string | null;
  role: MemberRole;
  /** `<actor type>:<actor id>` of whoever invited. */
  invitedBy: string;
  createdAt: string;
  expiresAt: string;
  acceptedAt: string | null;
  /** The user who accepted. */
  acceptedBy: string | null;
  revokedAt: string | null;
  status: InvitationStatus;
}

/** How long an invitation works unless told otherwise: 7 days. */
export const DEFAULT_INVITATION_TTL_MS = 7 * 24 * 60 * 60_000;

/**
 * Invitations to join an organization. The token is shown once, on creation, and only its
 * sha256 is stored; accepting is a claim that succeeds once.
 */
export interface InvitationStore {
  /** @throws ConflictError when the email already has a pending invitation to the organization. */
  create(input: { organizationId: string; email: string; name?: string | undefined; role: MemberRole; invitedBy: string; ttlMs?: number }): Promise<{ invitation: Invitation; token: string }>;
  /** One of the organization's invitations, or null. */
  get(input: { organizationId: string; id: string }): Promise<Invitation | null>;
  /** The organization's invitations, newest first. */
  list(organizationId: string): Promise<Invitation[]>;
  /**
   * Revokes a pending invitation (idempotent for a revoked one).
   * @throws NotFoundError for another organization's or an unknown id.
   * @throws ConflictError when it was already accepted.
   */
  revoke(input: { organizationId: string; id: string }): Promise<Invitation>;
  /** Revokes every pending invitation of an organization (it is being deleted). */
  revokeAll(organizationId: string): Promise<void>;
  /** The invitation a token opens, whatever its status; null for an unknown token. */
  find(token: string): Promise<Invitation | null>;
  /**
   * Marks a pending, unexpired invitation accepted, before its membership is made; false when it
   * no longer is pending (someone else claimed it first). Follow with `complete` or `release`.
   */
  claim(id: string): Promise<boolean>;
  /** Records who accepted a claimed invitation. */
  complete(input: { id: string; userId: string }): Promise<void>;
  /** Undoes a claim whose membership could not be made, so the invitation can be used again. */
  release(id: string): Promise<void>;
}

const tokenPattern = /^vinv_[A-Za-z0-9_-]{43}$/;
type Row = ServerDatabase['vector_server_invitations'];
const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** Invitations in the `vector_server_invitations` table. */
export function createInvitationStore(db: Kysely<ServerDatabase>, now: () => Date = () => new Date()): InvitationStore {
  const toInvitation = (row: Row): Invitation => {
    const status: InvitationStatus = row.accepted_at ? 'accepted' : row.revoked_at ? 'revoked' : row.expires_at <= now().toISOString() ? 'expired' : 'pending';
    return {
      id: row.id,
      organizationId: row.organization_id,
      email: row.email,
      name: row.name,
      role: row.role as MemberRole,
      invitedBy: row.invited_by,
      createdAt: row.created_at,
      expiresAt: row.expires_at,
      acceptedAt: row.accepted_at,
      acceptedBy: row.accepted_by,
      revokedAt: row.revoked_at,
      status,
    };
  };
  const isPending = (eb: ExpressionBuilder<ServerDatabase, 'vector_server_invitations'>) =>
    eb.and([eb('accepted_at', 'is', null), eb('revoked_at', 'is', null), eb('expires_at', '>', now().toISOString())]);

  async function revoke(input: { organizationId: string; id: string }): Promise<Invitation> {
    const row = await db.selectFrom('vector_server_invitations').selectAll().where('id', '=', input.id).where('organization_id', '=', input.organizationId).executeTakeFirst();
    if (!row) throw new NotFoundError({ entity: 'invitation', id: input.id });
    if (row.accepted_at) throw new ConflictError({ message: 'The invitation was already accepted: remove the member instead', details: { invitationId: row.id } });
    if (row.revoked_at) return toInvitation(row);
    const revokedAt = now().toISOString();
    const result = await db.updateTable('vector_server_invitations').set({ revoked_at: revokedAt }).where('id', '=', row.id).where('accepted_at', 'is', null).where('revoked_at', 'is', null).executeTakeFirst();
    // Accepted or revoked in between: answer as of now.
    if (Number(result.numUpdatedRows) === 0) return revoke(input);
    return toInvitation({ ...row, revoked_at: revokedAt });
  }

  return {
    async create(input) {
      const email = input.email.trim().toLowerCase();
      const pending = await db.selectFrom('vector_server_invitations').select('id').where('organization_id', '=', input.organizationId).where('email', '=', email).where(isPending).executeTakeFirst();
      if (pending) throw new ConflictError({ message: `${email} already has a pending invitation: revoke it to invite again`, details: { invitationId: pending.id } });
      const token = `vinv_${randomBytes(32).toString('base64url')}`;
      const createdAt = now();
      const row: Row = {
        id: randomUUID(),
        organization_id: input.organizationId,
        email,
        name: input.name ?? null,
        role: input.role,
        token_hash: hashToken(token),
        invited_by: input.invitedBy,
        created_at: createdAt.toISOString(),
        expires_at: new Date(createdAt.getTime() + (input.ttlMs ?? DEFAULT_INVITATION_TTL_MS)).toISOString(),
        accepted_at: null,
        accepted_by: null,
        revoked_at: null,
      };
      await db.insertInto('vector_server_invitations').values(row).execute();
      return { invitation: toInvitation(row), token };
    },
    async get(input) {
      const row = await db.selectFrom('vector_server_invitations').selectAll().where('id', '=', input.id).where('organization_id', '=', input.organizationId).executeTakeFirst();
      return row ? toInvitation(row) : null;
    },
    async list(organizationId) {
      const rows = await db.selectFrom('vector_server_invitations').selectAll().where('organization_id', '=', organizationId).orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
      return rows.map(toInvitation);
    },
    revoke,
    async revokeAll(organizationId) {
      await db.updateTable('vector_server_invitations').set({ revoked_at: now().toISOString() }).where('organization_id', '=', organizationId).where('accepted_at', 'is', null).where('revoked_at', 'is', null).execute();
    },
    async find(token) {
      if (!tokenPattern.test(token)) return null;
      const row = await db.selectFrom('vector_server_invitations').selectAll().where('token_hash', '=', hashToken(token)).executeTakeFirst();
      return row ? toInvitation(row) : null;
    },
    async claim(id) {
      const result = await db.updateTable('vector_server_invitations').set({ accepted_at: now().toISOString() }).where('id', '=', id).where(isPending).executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    async complete(input) {
      await db.updateTable('vector_server_invitations').set({ accepted_by: input.userId }).where('id', '=', input.id).execute();
    },
    async release(id) {
      // Only a claim still in progress (no one recorded as accepting it) is undone.
      await db.updateTable('vector_server_invitations').set({ accepted_at: null }).where('id', '=', id).where('accepted_by', 'is', null).execute();
    },
  };
}
