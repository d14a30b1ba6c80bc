import type { Transaction } from 'kysely';
import { z } from 'zod';
import { ConflictError } from '../../errors/conflict-error.js';
import { parseInput } from '../../errors/from-zod.js';
import { NotFoundError } from '../../errors/not-found-error.js';
import { ValidationError } from '../../errors/validation-error.js';
import { actorSchema, idSchema } from '../../schemas/common.js';
import { addMemberInputSchema, createUserInputSchema, membershipInputSchema, membershipRefInputSchema } from '../../schemas/inputs.js';
import { writeAudit } from '../audit/audit-writer.js';
import type { CoreDatabase } from '../store/database-schema.js';
import { lockRow } from '../store/lock-row.js';
import type { EngineContext } from '../engine-context.js';
import { toMembership, toUser } from '../store/row-mappers.js';
import type { UsersApi } from '../vector-types.js';

/** Users and memberships. An organization always keeps at least one owner. */
export function createUsersApi(context: EngineContext): UsersApi {
  const { db } = context;

  async function requireOrganization(organizationId: string) {
    const row = await db.selectFrom('vector_organizations').select('id').where('id', '=', organizationId).executeTakeFirst();
    if (!row) throw new NotFoundError({ entity: 'organization', id: organizationId });
  }

  async function ownerCount(executor: Transaction<CoreDatabase>, organizationId: string): Promise<number> {
    const row = await executor
      .selectFrom('vector_memberships')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('organization_id', '=', organizationId)
      .where('role', '=', 'owner')
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  /**
   * A membership read under its organization's lock, with the organization's owner count:
   * the last-owner rule is checked and applied in one step, so two changes at once cannot
   * both remove an owner.
   */
  async function lockedMembership(trx: Transaction<CoreDatabase>, organizationId: string, userId: string) {
    await lockRow(trx, context.dialect, 'vector_organizations', organizationId);
    const row = await trx.selectFrom('vector_memberships').selectAll().where('organization_id', '=', organizationId).where('user_id', '=', userId).executeTakeFirst();
    if (!row) throw new NotFoundError({ entity: 'membership', id: userId });
    return { membership: toMembership(row), owners: row.role === 'owner' ? await ownerCount(trx, organizationId) : null };
  }

  return {
    async create(input) {
      const parsed = parseInput(createUserInputSchema, input, 'user');
      const existing = await db.selectFrom('vector_users').select('id').where('email', '=', parsed.email).executeTakeFirst();
      if (existing) throw new ConflictError({ message: `A user with email ${parsed.email} exists`, details: { email: parsed.email } });
      const row = { id: context.newId(), email: parsed.email, name: parsed.name, created_at: context.nowIso() };
      await db.insertInto('vector_users').values(row).execute();
      return toUser(row);
    },
    async get(userId) {
      const id = parseInput(idSchema, userId, 'user id');
      const row = await db.selectFrom('vector_users').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row) throw new NotFoundError({ entity: 'user', id });
      return toUser(row);
    },
    async getByEmail(email) {
      const value = parseInput(z.string().trim().toLowerCase().email(), email, 'email');
      const row = await db.selectFrom('vector_users').selectAll().where('email', '=', value).executeTakeFirst();
      return row ? toUser(row) : null;
    },
    async addMember(input, actor) {
      const parsed = parseInput(addMemberInputSchema, input, 'membership');
      const who = parseInput(actorSchema, actor, 'actor');
      await requireOrganization(parsed.organizationId);
      await this.get(parsed.userId);
      const existing = await this.getMembership(parsed);
      if (existing) throw new ConflictError({ message: 'The user is already a member of this organization', details: { userId: parsed.userId } });
      const row = { organization_id: parsed.organizationId, user_id: parsed.userId, role: parsed.role, name: parsed.name ?? null, created_at: context.nowIso() };
      return context.transaction(async (trx, afterCommit) => {
        await trx.insertInto('vector_memberships').values(row).execute();
        await writeAudit(context, trx, afterCommit, { organizationId: parsed.organizationId, projectId: null, actor: who, action: 'member.add', entityType: 'user', entityId: parsed.userId, data: { role: parsed.role } });
        return toMembership(row);
      });
    },
    async updateMemberRole(input, actor) {
      const parsed = parseInput(membershipInputSchema, input, 'membership');
      const who = parseInput(actorSchema, actor, 'actor');
      return context.transaction(async (trx, afterCommit) => {
        const { membership: existing, owners } = await lockedMembership(trx, parsed.organizationId, parsed.userId);
        if (owners !== null && owners <= 1 && parsed.role !== 'owner') {
          throw new ValidationError({ message: 'An organization must keep at least one owner', issues: [{ path: ['role'], message: 'last owner' }] });
        }
        await trx.updateTable('vector_memberships').set({ role: parsed.role }).where('organization_id', '=', parsed.organizationId).where('user_id', '=', parsed.userId).execute();
        await writeAudit(context, trx, afterCommit, { organizationId: parsed.organizationId, projectId: null, actor: who, action: 'member.update_role', entityType: 'user', entityId: parsed.userId, data: { from: existing.role, to: parsed.role } });
        return { ...existing, role: parsed.role };
      });
    },
    async removeMember(input, actor) {
      const parsed = parseInput(membershipRefInputSchema, input, 'membership');
      const who = parseInput(actorSchema, actor, 'actor');
      await context.transaction(async (trx, afterCommit) => {
        const { owners } = await lockedMembership(trx, parsed.organizationId, parsed.userId);
        if (owners !== null && owners <= 1) {
          throw new ValidationError({ message: 'An organization must keep at least one owner', issues: [{ path: ['userId'], message: 'last owner' }] });
        }
        await trx.deleteFrom('vector_memberships').where('organization_id', '=', parsed.organizationId).where('user_id', '=', parsed.userId).execute();
        await writeAudit(context, trx, afterCommit, { organizationId: parsed.organizationId, projectId: null, actor: who, action: 'member.remove', entityType: 'user', entityId: parsed.userId });
      });
    },
    async listMembers(organizationId) {
      const id = parseInput(idSchema, organizationId, 'organization id');
      const rows = await db
        .selectFrom('vector_memberships as m')
        .innerJoin('vector_users as u', 'u.id', 'm.user_id')
        // The user's email, and the name this organization recorded: never the user's stored
        // name or creation time, which may come from another organization.
        .select(['m.organization_id', 'm.user_id', 'm.role', 'm.name', 'm.created_at', 'u.email'])
        .where('m.organization_id', '=', id)
        .orderBy('m.created_at')
        .orderBy('m.user_id')
        .execute();
      return rows.map((row) => ({ ...toMembership(row), user: { id: row.user_id, email: row.email, name: row.name } }));
    },
    async listMemberships(userId) {
      const id = parseInput(idSchema, userId, 'user id');
      const rows = await db.selectFrom('vector_memberships').selectAll().where('user_id', '=', id).orderBy('created_at').execute();
      return rows.map(toMembership);
    },
    async getMembership(input) {
      const parsed = parseInput(membershipRefInputSchema, input, 'membership');
      const row = await db.selectFrom('vector_memberships').selectAll().where('organization_id', '=', parsed.organizationId).where('user_id', '=', parsed.userId).executeTakeFirst();
      return row ? toMembership(row) : null;
    },
  };
}
