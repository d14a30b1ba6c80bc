import type { VectorEventBus, VectorEvents } from '@vector/core';

type Handler = (event: unknown) => void;
type WildcardHandler = (type: keyof VectorEvents, event: unknown) => void;

/**
 * An in-process bus with mitt's interface (`all`, `on`, `off`, `emit`, `*` wildcard), so the
 * bridge can wrap it without depending on mitt itself.
 */
export function createLocalBus(): VectorEventBus {
  const all = new Map<keyof VectorEvents | '*', Array<Handler | WildcardHandler>>();
  const bus = {
    all,
    on(type: keyof VectorEvents | '*', handler: Handler | WildcardHandler) {
      const handlers = all.get(type);
      if (handlers) handlers.push(handler);
      else all.set(type, [handler]);
    },
    off(type: keyof VectorEvents | '*', handler?: Handler | WildcardHandler) {
      const handlers = all.get(type);
      if (!handlers) return;
      if (handler) {
        const index = handlers.indexOf(handler);
        if (index >= 0) handlers.splice(index, 1);
      } else all.set(type, []);
    },
    emit(type: keyof VectorEvents, event?: unknown) {
      // Copies, so a handler that unsubscribes during delivery does not skip its neighbour.
      for (const handler of [...(all.get(type) ?? [])]) (handler as Handler)(event);
      for (const handler of [...(all.get('*') ?? [])]) (handler as WildcardHandler)(type, event);
    },
  };
  return bus as unknown as VectorEventBus;
}
