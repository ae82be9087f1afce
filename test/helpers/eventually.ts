import { inspect } from 'node:util';

export interface EventuallyOptions<T> {
  /** Give up after this long. Default 5 000 ms. */
  timeoutMs?: number;
  /** Wait between polls. Default 5 ms: pass more for a poll that does I/O or competes with the code under test. */
  intervalMs?: number;
  /** What is awaited, for the failure message: "b out of rotation". */
  message?: string;
  /** Accepts a value of `fn`; without it, any value but `false` is accepted. */
  until?: (value: T) => boolean;
}

/**
 * Polls `fn` until it passes, or fails after `timeoutMs` with what it waited for and the last
 * error or value seen: the way tests wait for a state, never a fixed sleep. `fn` passes when it
 * does not throw and
 * - with `until`: its value satisfies `until` (a value to wait for: the value is returned);
 * - returning a value: the value is not `false` (a condition, or a value found; returned);
 * - returning nothing: at once (an assertion, such as `expect(...)`, polled until it holds).
 * A function that may return `undefined` for "not yet" must say `false` instead (or pass
 * `until`): such a function does not typecheck here.
 */
export function eventually<R>(
  fn: () => R,
  options: EventuallyOptions<Awaited<R>> & { until: (value: Awaited<R>) => boolean },
): Promise<Awaited<R>>;
export function eventually<R>(
  // biome-ignore lint/suspicious/noConfusingVoidType: an assertion returns void, and passes when it does not throw
  fn: () => R & (undefined extends Awaited<R> ? ([Awaited<R>] extends [void] ? unknown : never) : unknown),
  options?: Omit<EventuallyOptions<Awaited<R>>, 'until'>,
): Promise<Exclude<Awaited<R>, false>>;
export async function eventually<T>(fn: () => T | Promise<T>, options: EventuallyOptions<T> = {}): Promise<T> {
  const { timeoutMs = 5_000, intervalMs = 5, message = 'a condition', until } = options;
  const deadline = Date.now() + timeoutMs;
  let last: { error: unknown } | { value: T };
  for (;;) {
    try {
      const value = await fn();
      if (until ? until(value) : value !== false) return value;
      last = { value };
    } catch (error) {
      last = { error };
    }
    if (Date.now() > deadline) {
      const seen =
        'error' in last
          ? `last error: ${last.error instanceof Error ? String(last.error) : inspect(last.error)}`
          : `last value: ${inspect(last.value, { depth: 4, breakLength: Number.POSITIVE_INFINITY })}`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${message}: ${seen}`, {
        cause: 'error' in last ? last.error : undefined,
      });
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
