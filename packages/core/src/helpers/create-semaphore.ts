/** At most `limit` tasks at once; see {@link createSemaphore}. */
export interface Semaphore {
  /** Runs `task` once a slot is free; the rest wait in arrival order. */
  run<T>(task: () => Promise<T>): Promise<T>;
}

/** A {@link Semaphore} with `limit` slots, e.g. to bound the builds a provider runs at once. */
export function createSemaphore(limit: number): Semaphore {
  let active = 0;
  const waiting: Array<() => void> = [];
  const release = () => {
    active -= 1;
    const next = waiting.shift();
    if (next) {
      active += 1;
      next();
    }
  };
  return {
    async run<T>(task: () => Promise<T>): Promise<T> {
      if (active < limit) active += 1;
      else await new Promise<void>((resolve) => waiting.push(resolve));
      try {
        return await task();
      } finally {
        release();
      }
    },
  };
}
