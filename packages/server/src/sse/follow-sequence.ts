/**
 * Delivers a sequence-numbered feed without gaps or duplicates, from a replay source and a
 * live source that overlap: items at or below the last delivered sequence are dropped, and a
 * live item that skips ahead triggers a read of the missing ones from the source of truth.
 * Deliveries are serialized, so the consumer sees strictly increasing sequences.
 */
export function createSequenceFollower<Item extends { sequence: number }>(options: {
  /** Items with `sequence > after`, in order (the persisted history). */
  readAfter: (after: number) => Promise<Item[]>;
  deliver: (item: Item) => void;
  /**
   * The last sequence the client already has, or a function answering it (e.g. clamped to what
   * exists); live items offered before it resolves wait for it.
   */
  startAfter: number | (() => Promise<number>);
  onError: (error: unknown) => void;
}) {
  const start = options.startAfter;
  let last = typeof start === 'number' ? start : 0;
  let chain: Promise<void> = Promise.resolve();
  let stopped = false;

  const deliverIfNext = (item: Item) => {
    if (stopped || item.sequence <= last) return;
    last = item.sequence;
    options.deliver(item);
  };

  const catchUp = async () => {
    for (;;) {
      if (stopped) return;
      const items = await options.readAfter(last);
      if (items.length === 0) return;
      for (const item of items) deliverIfNext(item);
    }
  };

  // Work queued and not yet finished; while none is, an in-order live item is delivered at once.
  let pending = 0;
  const enqueue = (work: () => Promise<void>) => {
    pending += 1;
    chain = chain
      .then(work)
      .catch((error: unknown) => {
        if (!stopped) options.onError(error);
      })
      .finally(() => {
        pending -= 1;
      });
    return chain;
  };

  if (typeof start === 'function') {
    void enqueue(async () => {
      last = await start();
    });
  }

  return {
    /** Replays history (or re-reads what may have been missed); call after subscribing to the live source. */
    replay: () => enqueue(catchUp),
    /** Offers one live item. */
    push(item: Item) {
      if (pending === 0) {
        // Nothing is being read: the next item goes out now, an old one is dropped, and only a
        // gap needs the queue (to read what is missing first).
        if (item.sequence <= last + 1) {
          deliverIfNext(item);
          return;
        }
      }
      void enqueue(async () => {
        // A gap is read from history (which holds the item too); anything else is the next item or an old one.
        if (item.sequence > last + 1) await catchUp();
        else deliverIfNext(item);
      });
    },
    stop() {
      stopped = true;
    },
    get lastSequence() {
      return last;
    },
  };
}
