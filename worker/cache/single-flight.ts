// Concurrent identical work in one isolate runs once: the first caller starts it, later callers with the same
// key get the same promise until it settles (success or failure; nothing is remembered afterwards).

export class SingleFlight<T> {
  private readonly inFlight = new Map<string, Promise<T>>();

  constructor(private readonly onShared: () => void = () => {}) {}

  run(key: string, work: () => Promise<T>): Promise<T> {
    const pending = this.inFlight.get(key);
    if (pending) {
      this.onShared();
      return pending;
    }
    const started = work().finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, started);
    return started;
  }

  get size(): number {
    return this.inFlight.size;
  }
}
