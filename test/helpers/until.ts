/**
 * Polls `fn` until `ok` accepts its value, or throws after `timeoutMs` with what it waited for
 * and the last value seen: the way tests wait for a state, never a fixed sleep.
 */
export async function eventually<T>(
  what: string,
  fn: () => T | Promise<T>,
  ok: (v: T) => boolean,
  timeoutMs = 30_000,
  intervalMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: last ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
