import type { Clock } from '../util/clock.js';

/**
 * A de-duplicated work queue of keys (controller-runtime's): a key is queued at most once; a key
 * being processed is never handed out again until `done`, and if it was added meanwhile it is
 * queued again then. `addAfter` delays a key (requeue-after, backoff); an earlier add wins.
 */
export class WorkQueue {
  private readonly ready: string[] = [];
  private readonly queued = new Set<string>();
  private readonly active = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly timers = new Map<string, { at: number; cancel: () => void }>();
  private waiters: Array<() => void> = [];
  private closed = false;

  constructor(private readonly clock: Clock) {}

  add(key: string): void {
    if (this.closed) return;
    this.cancelTimer(key);
    if (this.active.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.ready.push(key);
    this.wakeOne();
  }

  addAfter(key: string, delayMs: number): void {
    if (this.closed) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    const at = this.clock.now() + delayMs;
    const existing = this.timers.get(key);
    if (existing && existing.at <= at) return;
    this.cancelTimer(key);
    const ac = new AbortController();
    this.clock.sleep(delayMs, ac.signal).then(
      () => {
        if (this.timers.get(key)?.cancel === cancel) {
          this.timers.delete(key);
          this.add(key);
        }
      },
      () => undefined,
    );
    const cancel = () => ac.abort();
    this.timers.set(key, { at, cancel });
  }

  /** The next key to process; waits until there is one. Undefined once closed. */
  async next(signal?: AbortSignal): Promise<string | undefined> {
    for (;;) {
      if (this.closed || signal?.aborted) return undefined;
      const key = this.ready.shift();
      if (key !== undefined) {
        this.queued.delete(key);
        this.active.add(key);
        return key;
      }
      await new Promise<void>((resolve) => {
        const onAbort = () => resolve();
        signal?.addEventListener('abort', onAbort, { once: true });
        this.waiters.push(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        });
      });
    }
  }

  /** Marks a key's processing finished; re-queues it if it was added meanwhile. */
  done(key: string): void {
    this.active.delete(key);
    if (this.dirty.delete(key)) this.add(key);
  }

  get length(): number {
    return this.ready.length;
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private cancelTimer(key: string): void {
    const t = this.timers.get(key);
    if (t) {
      t.cancel();
      this.timers.delete(key);
    }
  }

  private wakeOne(): void {
    const w = this.waiters.shift();
    w?.();
  }
}
