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
  /** The last sequence the client already has. */
  startAfter: number;
  onError: (error: unknown) => void;
}) {
  let last = options.startAfter;
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

  const enqueue = (work: () => Promise<void>) => {
    chain = chain.then(work).catch((error: unknown) => {
      if (!stopped) options.onError(error);
    });
    return chain;
  };

  return {
    /** Replays history; call after subscribing to the live source. */
    replay: () => enqueue(catchUp),
    /** Offers one live item. */
    push(item: Item) {
      void enqueue(async () => {
        if (item.sequence === last + 1) deliverIfNext(item);
        else if (item.sequence > last + 1) await catchUp();
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
