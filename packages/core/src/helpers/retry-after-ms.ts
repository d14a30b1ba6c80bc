/** A `Headers` object or a plain record of header values (octokit's `response.headers`). */
export type HeaderSource = Headers | Readonly<Record<string, string | number | undefined>>;

/** Options of {@link retryAfterMs}. */
export interface RetryAfterOptions {
  /**
   * Rate-limit reset headers read when there is no `Retry-After`, first present wins, e.g.
   * `['x-ratelimit-reset']`. A value above 10^9 is epoch seconds, a smaller one seconds from
   * now (services document one and send the other). None by default.
   */
  resetHeaders?: ReadonlyArray<string>;
  /** The current time in epoch ms; `Date.now()` by default. */
  now?: number;
}

function header(headers: HeaderSource, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const value = headers[name] ?? headers[name.toLowerCase()];
  return value === undefined ? undefined : String(value);
}

// Several limits can apply at once and a service then repeats the header; fetch joins them with ", ".
function numbers(raw: string | undefined): number[] {
  if (raw === undefined || raw.trim() === '') return [];
  return raw
    .split(',')
    .map((part) => Number(part.trim()))
    .filter((value) => Number.isFinite(value) && value >= 0);
}

/**
 * A service's wait hint in milliseconds: `Retry-After` in seconds (the largest when repeated, or
 * an HTTP date), else the first of `resetHeaders` present; undefined when none is usable.
 * Callers read it from the answers that ask to wait (429, 503, a rate-limited 403).
 */
export function retryAfterMs(headers: HeaderSource, options: RetryAfterOptions = {}): number | undefined {
  const now = options.now ?? Date.now();
  const raw = header(headers, 'retry-after');
  const seconds = numbers(raw);
  if (seconds.length > 0) return Math.max(...seconds) * 1000;
  if (raw !== undefined && raw.trim() !== '') {
    const date = Date.parse(raw);
    if (Number.isFinite(date)) return Math.max(0, date - now);
  }
  for (const name of options.resetHeaders ?? []) {
    const resets = numbers(header(headers, name)).map((value) => (value > 1_000_000_000 ? Math.max(0, value * 1000 - now) : value * 1000));
    if (resets.length > 0) return Math.max(...resets);
  }
  return undefined;
}
