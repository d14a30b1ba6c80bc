import {
  createDataTableInputSchema,
  dataMigrationSchema,
  dataRowSchema,
  dataRowValuesInputSchema,
  dataRowVersionSchema,
  dataRowWhereInputSchema,
  dataTableSchema,
  idSchema,
  jsonObjectSchema,
  timestampSchema,
  ValidationError,
} from '@vector/core';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errorResponses, idParam, pageOf, pageQuerySchema } from '../plumbing/http-schemas.js';
import { type RoutePluginOptions, scopeOf } from '../plumbing/server-context.js';

const projectParams = z.object({ projectId: idParam });
const tableParams = z.object({ tableId: idParam });
const rowParams = z.object({ rowId: idParam });
const createTableBody = createDataTableInputSchema.omit({ projectId: true });
const rowBody = z.object({ data: dataRowValuesInputSchema });
const reservedKeys = new Set(['__proto__', 'constructor', 'prototype']);
/** A row as the data's history has it at a moment: its id and data (`data.listRowsAsOf`). */
const rowAsOfSchema = z.object({ id: idSchema, data: jsonObjectSchema });
const snapshotQuery = z.object({ asOf: timestampSchema.describe('ISO-8601 timestamp with a zone, e.g. 2026-01-01T12:00:00Z') });

function parseWhere(raw: string | undefined): z.infer<typeof dataRowWhereInputSchema> | undefined {
  if (raw === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (cause) {
    throw new ValidationError({ message: 'Invalid where: expected a JSON object such as {"done":false}', issues: [{ path: ['where'], message: 'not JSON' }], cause });
  }
  // JSON.parse makes `__proto__` an own key that later object handling drops silently (the
  // filter would match every row); such names are never columns, so say so.
  const reserved = value !== null && typeof value === 'object' ? Object.keys(value).filter((key) => reservedKeys.has(key)) : [];
  if (reserved.length > 0) {
    throw new ValidationError({ message: `Invalid where: ${reserved.join(', ')} cannot be a column name`, issues: reserved.map((key) => ({ path: ['where', key], message: 'reserved name' })) });
  }
  const result = dataRowWhereInputSchema.safeParse(value);
  if (!result.success) throw new ValidationError({ message: 'Invalid where: values must be strings, numbers, booleans or null', issues: [{ path: ['where'], message: 'bad filter' }] });
  return result.data;
}

/**
 * The time of an `asOf` query as ISO-8601 UTC: a bad timestamp is a ValidationError (400), never
 * an invalid date passed on.
 */
function asOfTime(asOf: string): string {
  const time = Date.parse(asOf);
  if (Number.isNaN(time)) throw new ValidationError({ message: `Invalid asOf: ${asOf} is not a timestamp`, issues: [{ path: ['asOf'], message: 'not a timestamp' }] });
  return new Date(time).toISOString();
}

/**
 * Runtime data for generated apps: tables with declared columns, and their rows; the project's
 * data migrations (from the `vector.data.json` of its published versions), a row's history and a
 * table as of a moment.
 */
export async function dataRoutes(fastify: FastifyInstance, { context }: RoutePluginOptions): Promise<void> {
  const app = fastify.withTypeProvider<ZodTypeProvider>();

  app.post('/v1/projects/:projectId/tables', {
    schema: {
      tags: ['data'],
      summary: 'Create a table with a declared column schema',
      params: projectParams,
      body: createTableBody,
      response: { 201: dataTableSchema, ...errorResponses },
    },
    handler: async (request, reply) => reply.code(201).send(await scopeOf(context, request).data.createTable({ projectId: request.params.projectId, ...request.body })),
  });

  app.get('/v1/projects/:projectId/tables', {
    schema: { tags: ['data'], summary: "A project's tables", params: projectParams, response: { 200: z.object({ items: z.array(dataTableSchema) }), ...errorResponses } },
    handler: async (request) => ({ items: await scopeOf(context, request).data.listTables(request.params.projectId) }),
  });

  app.get('/v1/tables/:tableId', {
    schema: { tags: ['data'], summary: 'Get a table', params: tableParams, response: { 200: dataTableSchema, ...errorResponses } },
    handler: async (request) => scopeOf(context, request).data.getTable(request.params.tableId),
  });

  app.delete('/v1/tables/:tableId', {
    schema: { tags: ['data'], summary: 'Drop a table and its rows', params: tableParams, response: { 204: z.null(), ...errorResponses } },
    handler: async (request, reply) => {
      await scopeOf(context, request).data.dropTable(request.params.tableId);
      return reply.code(204).send(null);
    },
  });

  app.post('/v1/tables/:tableId/rows', {
    schema: { tags: ['data'], summary: 'Insert a row (validated against the columns)', params: tableParams, body: rowBody, response: { 201: dataRowSchema, ...errorResponses } },
    handler: async (request, reply) => reply.code(201).send(await scopeOf(context, request).data.insertRow(request.params.tableId, request.body.data)),
  });

  app.get('/v1/tables/:tableId/rows', {
    schema: {
      tags: ['data'],
      summary: 'List rows, filtered by equality on columns, ordered, paginated',
      params: tableParams,
      querystring: pageQuerySchema.extend({
        where: z.string().max(4000).optional().describe('JSON object of column → value, e.g. {"done":false}'),
        orderBy: z.string().max(63).optional(),
        direction: z.enum(['asc', 'desc']).optional(),
      }),
      response: { 200: pageOf(dataRowSchema), ...errorResponses },
    },
    handler: async (request) => {
      // The rows of another moment are another answer (no pagination, no timestamps): say where it is rather than ignore it.
      if (new URLSearchParams(request.url.split('?')[1] ?? '').has('asOf')) {
        throw new ValidationError({ message: `Rows as of a moment are at GET /v1/tables/${request.params.tableId}/snapshot?asOf=<timestamp>`, issues: [{ path: ['asOf'], message: 'not a parameter of this route' }] });
      }
      const { limit, cursor, where, orderBy, direction } = request.query;
      const parsedWhere = parseWhere(where);
      const query = { ...(parsedWhere ? { where: parsedWhere } : {}), ...(orderBy ? { orderBy: { column: orderBy, ...(direction ? { direction } : {}) } } : {}) };
      return scopeOf(context, request).data.listRows(request.params.tableId, query, { limit, cursor });
    },
  });

  app.get('/v1/tables/:tableId/snapshot', {
    schema: {
      tags: ['data'],
      summary: "The table's rows as they were at a moment, from the data's history",
      description: 'Answers every row the table had at `asOf` (id and data), whether or not it still exists; a time before the first change answers no rows.',
      params: tableParams,
      querystring: snapshotQuery,
      response: { 200: z.object({ asOf: timestampSchema, items: z.array(rowAsOfSchema) }), ...errorResponses },
    },
    handler: async (request) => {
      const asOf = asOfTime(request.query.asOf);
      return { asOf, items: await scopeOf(context, request).data.listRowsAsOf(request.params.tableId, asOf) };
    },
  });

  app.get('/v1/projects/:projectId/data/migrations', {
    schema: {
      tags: ['data'],
      summary: "The migrations applied to the project's data, oldest first",
      description:
        "One per publish or deploy whose `vector.data.json` changed the data's schema: its steps, and whether any was destructive. `environment` is `production` for the project's own data and `preview:<deploymentId>` for a preview's copy; `?environment=` keeps one.",
      params: projectParams,
      querystring: z.object({ environment: z.string().min(1).max(200).optional() }),
      response: { 200: z.object({ items: z.array(dataMigrationSchema) }), ...errorResponses },
    },
    handler: async (request) => {
      const items = await scopeOf(context, request).data.listMigrations(request.params.projectId);
      const { environment } = request.query;
      return { items: environment === undefined ? items : items.filter((migration) => migration.environment === environment) };
    },
  });

  app.get('/v1/rows/:rowId/versions', {
    schema: {
      tags: ['data'],
      summary: "Every change of a row, oldest first (the row's history outlives it)",
      description: '`data` is the row after the change; null once it was deleted.',
      params: rowParams,
      response: { 200: z.object({ items: z.array(dataRowVersionSchema) }), ...errorResponses },
    },
    handler: async (request) => ({ items: await scopeOf(context, request).data.listRowVersions(request.params.rowId) }),
  });

  app.get('/v1/rows/:rowId', {
    schema: { tags: ['data'], summary: 'Get a row', params: rowParams, response: { 200: dataRowSchema, ...errorResponses } },
    handler: async (request) => scopeOf(context, request).data.getRow(request.params.rowId),
  });

  app.patch('/v1/rows/:rowId', {
    schema: { tags: ['data'], summary: 'Update some columns of a row', params: rowParams, body: rowBody, response: { 200: dataRowSchema, ...errorResponses } },
    handler: async (request) => scopeOf(context, request).data.updateRow(request.params.rowId, request.body.data),
  });

  app.delete('/v1/rows/:rowId', {
    schema: { tags: ['data'], summary: 'Delete a row', params: rowParams, response: { 204: z.null(), ...errorResponses } },
    handler: async (request, reply) => {
      await scopeOf(context, request).data.deleteRow(request.params.rowId);
      return reply.code(204).send(null);
    },
  });
}
