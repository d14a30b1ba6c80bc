import { prettyFactory } from 'pino-pretty';

/** How log lines are written: one JSON object a line (for collectors), or pino-pretty's human-readable lines (for a terminal). */
export type LogFormat = 'json' | 'pretty';

/** Where log lines go: anything with `write(line)`, such as `process.stdout` or a test's collector. */
export interface LogDestination {
  write(line: string): void;
}

/** Options of {@link createLogDestination}. */
export interface CreateLogDestinationOptions {
  format: LogFormat;
  destination: LogDestination;
  /** ANSI colours in `pretty` lines (give it when the destination is a terminal and `NO_COLOR` is unset). Default false. */
  colorize?: boolean;
}

/**
 * A logger `stream` writing pino's JSON lines to `destination` in `format`: as they are for
 * `json`, or turned into human-readable lines by pino-pretty for `pretty` (synchronously, in
 * this thread, so no line is lost when the process exits). Redaction happens in the logger
 * before a line gets here, so both formats carry the same `[Redacted]` values. Lines that are
 * not JSON pass through unchanged.
 */
export function createLogDestination(options: CreateLogDestinationOptions): LogDestination {
  const { destination } = options;
  if (options.format === 'json') return destination;
  const prettify = prettyFactory({ colorize: options.colorize ?? false, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' });
  return {
    write(line) {
      // pino-pretty ends every line itself (a non-JSON line would otherwise get two newlines).
      destination.write(prettify(line.endsWith('\n') ? line.slice(0, -1) : line));
    },
  };
}

/**
 * The format for `LOG_FORMAT`: `json` and `pretty` as asked; `auto` is pretty when the output
 * is a terminal (a person reads it) and JSON otherwise (a collector parses it).
 */
export function resolveLogFormat(requested: 'auto' | LogFormat, isTerminal: boolean): LogFormat {
  if (requested !== 'auto') return requested;
  return isTerminal ? 'pretty' : 'json';
}
