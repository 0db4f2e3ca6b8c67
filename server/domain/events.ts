/** A listener error is reported here instead of escaping into the emitter's caller. */
export type ListenerErrorHandler = (err: unknown, event: string) => void;

/**
 * A small typed event emitter. A throwing listener never breaks the emitter or other listeners;
 * its error goes to `onListenerError` (the composition root logs it).
 */
export class TypedEmitter<Events extends { [K in keyof Events]: (...args: never[]) => void }> {
  private readonly listeners = new Map<keyof Events, Set<Events[keyof Events]>>();

  constructor(private readonly onListenerError: ListenerErrorHandler = () => {}) {}

  /** Adds a listener; returns the function that removes it, so add and remove come in pairs. */
  on<K extends keyof Events>(event: K, listener: Events[K]): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => this.off(event, listener);
  }

  /** Removes a listener. */
  off<K extends keyof Events>(event: K, listener: Events[K]): void {
    this.listeners.get(event)?.delete(listener);
  }

  /** Calls every listener of `event`. */
  emit<K extends keyof Events>(event: K, ...args: Parameters<Events[K]>): void {
    for (const l of [...(this.listeners.get(event) ?? [])]) {
      try {
        (l as (...a: Parameters<Events[K]>) => void)(...args);
      } catch (err) {
        this.onListenerError(err, String(event));
      }
    }
  }

  /** Removes every listener. */
  removeAll(): void {
    this.listeners.clear();
  }
}
