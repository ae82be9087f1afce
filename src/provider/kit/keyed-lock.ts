/**
 * Runs operations one at a time per key, in the order they were asked for; different keys run
 * concurrently. A failed operation does not block the next one. Not re-entrant: an operation that
 * waits for another one on the same key deadlocks. Keys with nothing queued hold no memory.
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>();

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const result = prev.then(fn);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Keys with an operation running or queued. */
  get size(): number {
    return this.tails.size;
  }
}
