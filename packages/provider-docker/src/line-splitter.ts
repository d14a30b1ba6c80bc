/** Text arriving in chunks, handed on as whole lines. */
export interface LineSplitter {
  push(text: string): void;
  /** Hands on the last line if it had no newline. */
  end(): void;
}

const maxPending = 8000;

/**
 * Calls `onLine` for each complete line of the text pushed in (without its `\n`). A line
 * growing past 8000 characters without a newline is handed on where it is, so a runaway line
 * can't grow memory.
 */
export function createLineSplitter(onLine: (line: string) => void): LineSplitter {
  let pending = '';
  return {
    push(text) {
      pending += text;
      const parts = pending.split('\n');
      pending = parts.pop() ?? '';
      for (const part of parts) onLine(part);
      if (pending.length > maxPending) {
        onLine(pending);
        pending = '';
      }
    },
    end() {
      if (pending !== '') onLine(pending);
      pending = '';
    },
  };
}
