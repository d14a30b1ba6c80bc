import { describe, it } from 'vitest';

/** One named check of a conformance kit. */
export interface ConformanceCase<Subject> {
  /** Stable name: what `skip` lists and what the test is called. */
  name: string;
  /** A reason to skip when the subject does not declare what the case needs; null to run. */
  requires?: (subject: Subject) => string | null;
  run(subject: Subject): Promise<void>;
}

/** A fresh subject for one test, torn down afterwards. */
export interface ConformanceInstance<Subject> {
  subject: Subject;
  /** Runs after each test, pass or fail. */
  teardown(): Promise<void>;
}

/**
 * Declares a `describe` block with one `it` per case. Each test gets its own instance; cases
 * listed in `skip` are declared skipped, and cases whose `requires` returns a reason skip at
 * run time (the declared capabilities are only known once the instance exists).
 */
export function runConformanceSuite<Subject>(input: {
  title: string;
  cases: ReadonlyArray<ConformanceCase<Subject>>;
  skip: ReadonlyArray<string> | undefined;
  create: () => Promise<ConformanceInstance<Subject>>;
  timeoutMs?: number;
}): void {
  const known = new Set(input.cases.map((entry) => entry.name));
  const unknown = (input.skip ?? []).filter((name) => !known.has(name));
  // A typo in `skip` would otherwise silently run (or silently skip nothing); fail loudly.
  if (unknown.length > 0) throw new Error(`${input.title}: unknown test names in skip: ${unknown.map((name) => JSON.stringify(name)).join(', ')}`);
  const skipped = new Set(input.skip ?? []);
  describe(input.title, () => {
    for (const entry of input.cases) {
      it.skipIf(skipped.has(entry.name))(
        entry.name,
        async (context) => {
          const instance = await input.create();
          try {
            const reason = entry.requires?.(instance.subject) ?? null;
            if (reason !== null) context.skip(reason);
            await entry.run(instance.subject);
          } finally {
            await instance.teardown();
          }
        },
        input.timeoutMs,
      );
    }
  });
}

/** Runs `body`, failing with `message` if it has not settled within `ms` (a liveness guard). */
export async function withinTime<T>(ms: number, message: string, body: () => Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  try {
    return await Promise.race([body(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
