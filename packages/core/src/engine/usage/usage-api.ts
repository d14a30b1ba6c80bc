import { type Kysely, type RawBuilder, type SelectQueryBuilder, sql } from 'kysely';
import { parseInput } from '../../errors/from-zod.js';
import type { UsageFigures, UsageGroup, UsageRow, UsageSummary } from '../../schemas/agent-step.js';
import { usageQueryInputSchema } from '../../schemas/inputs.js';
import type { ScopeContext } from '../scope-context.js';
import type { CoreDatabase } from '../store/database-schema.js';
import type { UsageApi } from '../vector-types.js';

const WEEK_MS = 7 * 86_400_000;

/** The sums every usage figure is made of, over `vector_agent_steps`. */
const figureColumns = [
  sql<number>`sum(case when kind = 'model' and status = 'succeeded' then 1 else 0 end)`.as('model_calls'),
  sql<number>`sum(case when kind = 'tool' then 1 else 0 end)`.as('tool_calls'),
  sql<number>`sum(prompt_tokens)`.as('prompt_tokens'),
  sql<number>`sum(cached_tokens)`.as('cached_tokens'),
  sql<number>`sum(completion_tokens)`.as('completion_tokens'),
  sql<number>`sum(total_tokens)`.as('total_tokens'),
  sql<number | null>`sum(cost_usd)`.as('cost_usd'),
  sql<number>`sum(case when kind = 'model' and status = 'succeeded' and cost_usd is null then 1 else 0 end)`.as('unpriced'),
] as const;

interface FigureRow {
  model_calls: unknown;
  tool_calls: unknown;
  prompt_tokens: unknown;
  cached_tokens: unknown;
  completion_tokens: unknown;
  total_tokens: unknown;
  cost_usd: unknown;
  unpriced: unknown;
}

function toFigures(row: FigureRow | undefined): UsageFigures {
  const modelCalls = Number(row?.model_calls ?? 0);
  const unpriced = Number(row?.unpriced ?? 0);
  return {
    modelCalls,
    toolCalls: Number(row?.tool_calls ?? 0),
    promptTokens: Number(row?.prompt_tokens ?? 0),
    cachedTokens: Number(row?.cached_tokens ?? 0),
    completionTokens: Number(row?.completion_tokens ?? 0),
    totalTokens: Number(row?.total_tokens ?? 0),
    // Never 0 for calls nobody could price: null says the cost is unknown.
    costUsd: modelCalls > 0 && unpriced === modelCalls ? null : Number(row?.cost_usd ?? 0),
    unpricedModelCalls: unpriced,
  };
}

/** The usage and cost of one organization's agent steps. */
export function createUsageApi(scope: ScopeContext): UsageApi {
  const { engine, organizationId } = scope;
  return {
    async summarize(query) {
      const parsed = parseInput(usageQueryInputSchema, query ?? {}, 'usage query');
      const end = parsed.end === undefined ? engine.now() : new Date(parsed.end);
      const start = parsed.start === undefined ? new Date(end.getTime() - WEEK_MS) : new Date(parsed.start);
      const range = { start: start.toISOString(), end: end.toISOString() };
      let base = engine.db.selectFrom('vector_agent_steps').where('organization_id', '=', organizationId).where('created_at', '>=', range.start).where('created_at', '<', range.end);
      if (parsed.projectId) base = base.where('project_id', '=', parsed.projectId);
      if (parsed.sessionId) base = base.where('session_id', '=', parsed.sessionId);
      if (parsed.jobId) base = base.where('job_id', '=', parsed.jobId);

      const totals = toFigures(await base.select(figureColumns).executeTakeFirst());
      const groups = parsed.groupBy;
      const rows: UsageRow[] = [];
      for (const row of groups.length === 0 ? [] : await groupedRows(base, groups)) {
        rows.push({
          ...(groups.includes('day') ? { day: String(row.key_day) } : {}),
          ...(groups.includes('project') ? { projectId: String(row.key_project) } : {}),
          ...(groups.includes('model') ? { model: (row.key_model as string | null) ?? null } : {}),
          ...toFigures(row),
        });
      }
      const summary: UsageSummary = { range, groupBy: groups, rows, totals };
      return summary;
    },
  };
}

type StepQuery = SelectQueryBuilder<CoreDatabase, 'vector_agent_steps', object>;
type GroupedRow = FigureRow & { key_day?: unknown; key_project?: unknown; key_model?: unknown };

/** The figures per group, ordered by the groups' keys (UTC day, project id, model). */
function groupedRows(base: StepQuery, groups: ReadonlyArray<UsageGroup>): Promise<GroupedRow[]> {
  const keyOf: Record<UsageGroup, RawBuilder<unknown>> = { day: sql`substr(created_at, 1, 10)`, project: sql`project_id`, model: sql`model` };
  let query = base.select(figureColumns) as unknown as SelectQueryBuilder<CoreDatabase, 'vector_agent_steps', GroupedRow>;
  for (const group of groups) query = query.select(keyOf[group].as(`key_${group}`)).groupBy(keyOf[group]) as typeof query;
  for (const group of groups) query = query.orderBy(keyOf[group]);
  return query.execute();
}

/** What an organization's model calls cost since the start of the current UTC month, in US dollars. */
export async function monthToDateCostUsd(db: Kysely<CoreDatabase>, organizationId: string, now: Date): Promise<number> {
  const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString();
  const row = await db
    .selectFrom('vector_agent_steps')
    .select(sql<number | null>`sum(cost_usd)`.as('cost'))
    .where('organization_id', '=', organizationId)
    .where('created_at', '>=', monthStart)
    .executeTakeFirst();
  return Number(row?.cost ?? 0);
}
