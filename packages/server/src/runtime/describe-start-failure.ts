/**
 * One line saying why the server could not start, for the CLI: the error's message and those of
 * its causes (an `AggregateError`, as Node reports a refused connection to every address of a
 * host, by its first error), where PostgreSQL was reached, and what to do for the usual
 * causes. Never the connection string itself: only its host and port.
 *
 * @example
 * describeStartFailure(refused, { databaseUrl: 'postgres://vector:secret@db:5432/vector' });
 * // 'could not start: connect ECONNREFUSED 10.0.0.5:5432 (PostgreSQL at db:5432, DATABASE_URL): is the database running and reachable?'
 */
export function describeStartFailure(error: unknown, context: { databaseUrl?: string | undefined }): string {
  const messages: string[] = [];
  let code: string | undefined;
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 8; depth += 1) {
    const first = current instanceof AggregateError && current.errors.length > 0 ? (current.errors[0] as unknown) : current;
    const entry = first as { message?: unknown; code?: unknown };
    const message = typeof entry.message === 'string' && entry.message.trim() !== '' ? entry.message.trim() : typeof entry.code === 'string' ? entry.code : '';
    if (message !== '' && !messages.some((seen) => seen.includes(message))) messages.push(message);
    if (code === undefined && typeof entry.code === 'string') code = entry.code;
    current = (current as { cause?: unknown }).cause;
  }
  const where = context.databaseUrl && databaseCodes.has(code ?? '') ? ` (PostgreSQL at ${hostOf(context.databaseUrl)}, DATABASE_URL)` : '';
  const hint = code ? hints[code] : undefined;
  const text = `could not start: ${messages.join(': ') || String(error)}${where}${hint ? `: ${hint}` : ''}`;
  return text.replace(/\s*\n\s*/g, ' ');
}

const hints: Record<string, string> = {
  ECONNREFUSED: 'is the database running and reachable?',
  ENOTFOUND: 'the host name does not resolve',
  ETIMEDOUT: 'the database did not answer in time',
  '28P01': 'check the user and password',
  '28000': 'the server refused this user or address (pg_hba.conf)',
  '3D000': 'create the database, or point DATABASE_URL at an existing one',
  '53300': 'the server is out of connections: lower DATABASE_POOL_MAX, VECTOR_QUEUE_POOL_MAX or VECTOR_EVENTS_POOL_MAX, run fewer processes, or raise max_connections',
  '57P03': 'the database is starting up; try again shortly',
  '42501': 'the database user lacks a permission Vector needs (creating its schema or tables)',
};

// Codes that come from reaching PostgreSQL, for which saying where is worth it.
const databaseCodes = new Set(['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'ECONNRESET', 'EAI_AGAIN', '28P01', '28000', '3D000', '53300', '57P03']);

function hostOf(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname || 'localhost'}:${parsed.port || '5432'}`;
  } catch {
    return 'an unreadable address';
  }
}
