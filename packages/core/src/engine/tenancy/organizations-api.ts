import { z } from 'zod';
import { ConflictError } from '../../errors/conflict-error.js';
import { parseInput } from '../../errors/from-zod.js';
import { NotFoundError } from '../../errors/not-found-error.js';
import { actorSchema, idSchema } from '../../schemas/common.js';
import { createOrganizationInputSchema, updateOrganizationInputSchema } from '../../schemas/inputs.js';
import { deleteAuditTrail, writeAudit } from '../audit/audit-writer.js';
import type { EngineContext } from '../engine-context.js';
import { afterCreatedCursor, readPage, toPage } from '../store/pagination.js';
import { toOrganization } from '../store/row-mappers.js';
import { toStorageProject } from '../scope-context.js';
import { teardownDeployments } from '../deployments/teardown-deployments.js';
import type { OrganizationsApi } from '../vector-types.js';
import type { DeploymentDriver } from '../deployments/deployment-driver.js';

function slugify(name: string): string {
  // Each run of other characters is one dash by now, so at most one dash is left at either end.
  const base = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 48);
  return base.length > 0 ? base : 'org';
}

/** The tenant-level API. */
export function createOrganizationsApi(context: EngineContext, driver: DeploymentDriver): OrganizationsApi {
  const { db } = context;

  async function load(organizationId: string) {
    const id = parseInput(idSchema, organizationId, 'organization id');
    const row = await db.selectFrom('vector_organizations').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new NotFoundError({ entity: 'organization', id });
    return row;
  }

  return {
    async create(input, actor) {
      const parsed = parseInput(createOrganizationInputSchema, input, 'organization');
      const who = parseInput(actorSchema, actor, 'actor');
      const id = context.newId();
      // The id's random tail: a UUIDv7 begins with its time, the same for hours, and organizations of one name need different slugs.
      const slug = parsed.slug ?? `${slugify(parsed.name)}-${id.slice(-6)}`;
      const now = context.nowIso();
      const row = { id, name: parsed.name, slug, monthly_budget_usd: parsed.monthlyBudgetUsd ?? null, created_at: now, updated_at: now };
      return context.transaction(async (trx, afterCommit) => {
        const taken = await trx.selectFrom('vector_organizations').select('id').where('slug', '=', slug).executeTakeFirst();
        if (taken) throw new ConflictError({ message: `The organization slug ${slug} is taken`, details: { slug } });
        await trx.insertInto('vector_organizations').values(row).execute();
        await writeAudit(context, trx, afterCommit, { organizationId: id, projectId: null, actor: who, action: 'organization.create', entityType: 'organization', entityId: id, afterId: id });
        return toOrganization(row);
      });
    },
    async get(organizationId) {
      return toOrganization(await load(organizationId));
    },
    async getBySlug(slug) {
      const value = parseInput(z.string().min(1).max(63), slug, 'organization slug');
      const row = await db.selectFrom('vector_organizations').selectAll().where('slug', '=', value).executeTakeFirst();
      if (!row) throw new NotFoundError({ entity: 'organization', id: value });
      return toOrganization(row);
    },
    async list(page) {
      const { limit, cursor } = readPage(page);
      let query = db.selectFrom('vector_organizations').selectAll().orderBy('created_at').orderBy('id').limit(limit + 1);
      if (cursor) query = query.where(afterCreatedCursor(cursor, 'asc'));
      return toPage(await query.execute(), limit, toOrganization, (row) => ({ key: row.created_at, id: row.id }));
    },
    async update(organizationId, patch, actor) {
      const parsed = parseInput(updateOrganizationInputSchema, patch, 'organization update');
      const who = parseInput(actorSchema, actor, 'actor');
      const row = await load(organizationId);
      const next = {
        ...row,
        ...(parsed.name === undefined ? {} : { name: parsed.name }),
        ...(parsed.monthlyBudgetUsd === undefined ? {} : { monthly_budget_usd: parsed.monthlyBudgetUsd }),
        updated_at: context.nowIso(),
      };
      return context.transaction(async (trx, afterCommit) => {
        await trx.updateTable('vector_organizations').set({ name: next.name, monthly_budget_usd: next.monthly_budget_usd, updated_at: next.updated_at }).where('id', '=', row.id).execute();
        await writeAudit(context, trx, afterCommit, { organizationId: row.id, projectId: null, actor: who, action: 'organization.update', entityType: 'organization', entityId: row.id, data: { ...parsed } });
        return toOrganization(next);
      });
    },
    async delete(organizationId, actor) {
      const who = parseInput(actorSchema, actor, 'actor');
      const row = await load(organizationId);
      const projects = await db.selectFrom('vector_projects').selectAll().where('organization_id', '=', row.id).execute();
      await teardownDeployments({ engine: context, driver, projectIds: projects.map((project) => project.id), actor: who });
      // Stored files live outside the metadata store; release them first (idempotent).
      for (const project of projects) {
        const backend = context.storage.get(project.storage_backend);
        await backend?.deleteProject?.({ project: toStorageProject(project) });
      }
      await context.transaction(async (trx, afterCommit) => {
        await trx.deleteFrom('vector_organizations').where('id', '=', row.id).execute();
        await deleteAuditTrail(trx, row.id);
        afterCommit(() => context.events.emit('warning', { organizationId: row.id, code: 'ORGANIZATION_DELETED', message: `organization ${row.id} deleted by ${who.type}:${who.id}` }));
      });
    },
  };
}
