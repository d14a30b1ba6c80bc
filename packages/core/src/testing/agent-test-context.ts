import { randomUUID } from 'node:crypto';
import { decodeText, encodeText, isBinaryContent, sha256Hex } from '../files/content.js';
import { normalizeFilePath } from '../files/path-rules.js';
import type { AgentRunContext } from '../plugins/agent.js';
import type { JobBudgetInput } from '../schemas/agent-job.js';
import type { ModelPrice, RecordedStep } from '../schemas/agent-step.js';
import { createPriceTable } from '../engine/usage/model-prices.js';
import type { FileEntry } from '../schemas/source-file.js';

/** Input of {@link createAgentTestContext}. */
export interface AgentTestContextInput {
  /** The base version's files; text may be given as strings. Default none. */
  files?: ReadonlyArray<{ path: string; content: string | Uint8Array }>;
  /** The user message to answer. */
  message: string;
  /** Earlier messages, oldest first. Default none. */
  history?: AgentRunContext['history'];
  /** Default `{ maxSteps: 50, maxTokens: 1_000_000 }` (no money budget). */
  budget?: JobBudgetInput;
  /** Steps of an earlier attempt to replay (`context.replay`). Default none. */
  replay?: ReadonlyArray<RecordedStep>;
  /** Model prices over the defaults (`context.priceOf`). */
  modelPrices?: Record<string, ModelPrice>;
  /** Default: a signal that never aborts. */
  signal?: AbortSignal;
  /** The session's agent settings (e.g. `model`). Default `{}`. */
  settings?: Record<string, unknown>;
}

/**
 * Builds an {@link AgentRunContext} the way the engine does, over in-memory files: `list()`
 * is sorted with SHA-256 hashes, `read()` returns a copy, `readText()` is null for binary
 * files, and paths are checked with `normalizeFilePath`. Use it to unit-test an agent
 * without an engine or database.
 */
export function createAgentTestContext(input: AgentTestContextInput): AgentRunContext {
  const files = new Map<string, Uint8Array>();
  for (const file of input.files ?? []) {
    files.set(normalizeFilePath(file.path), typeof file.content === 'string' ? encodeText(file.content) : file.content.slice());
  }
  const entries: FileEntry[] = [...files]
    .map(([path, content]) => ({ path, size: content.byteLength, hash: sha256Hex(content) }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const read = async (path: string): Promise<Uint8Array | null> => files.get(normalizeFilePath(path))?.slice() ?? null;
  return {
    job: { id: randomUUID(), budget: input.budget ?? { maxSteps: 50, maxTokens: 1_000_000 }, baseVersionId: files.size > 0 ? randomUUID() : null, attempts: 1 },
    project: { id: randomUUID(), organizationId: randomUUID(), name: 'Test project' },
    session: { id: randomUUID(), settings: { ...input.settings } },
    message: { id: randomUUID(), content: input.message },
    history: input.history ?? [],
    replay: input.replay ?? [],
    priceOf: createPriceTable(input.modelPrices).priceOf,
    files: {
      list: async () => entries.map((entry) => ({ ...entry })),
      read,
      readText: async (path) => {
        const bytes = await read(path);
        return bytes === null || isBinaryContent(bytes) ? null : decodeText(bytes);
      },
    },
    signal: input.signal ?? new AbortController().signal,
  };
}
