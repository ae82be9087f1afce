import { setMaxListeners } from 'node:events';
import { SkyfleetError, ValidationError } from './errors/index.js';
import type { Fleet } from './fleet.js';
import { sourceOf } from './spec/load.js';

/** Where a method of `Fleet` takes its options (with `signal`), by its argument index. */
const OPTIONS_AT: Record<string, number> = { apply: 1, scale: 2, migrate: 2, run: 0, delete: 1, undo: 1 };

type AnyFn = (...args: unknown[]) => Promise<unknown>;

/**
 * The SDK's contract around a fleet: every call of a closed fleet throws `fleet_closed`; `close()`
 * aborts the calls running (an AbortController whose signal joins each call's own) and waits for
 * them to end before it closes providers and store; an aborted call rejects with a SkyfleetError
 * (`aborted`, or `fleet_closed` when the fleet was closed) keeping the original error as its
 * cause; a ValidationError found while acting on a deployment names where the deployment came
 * from (its file and document when it was loaded from one).
 */
export function guardFleet(fleet: Fleet): Fleet {
  const life = new AbortController();
  // every provider request of every call listens on it (16 inspects per observe, calls at once)
  setMaxListeners(1024, life.signal);
  let closed = false;
  const running = new Set<Promise<unknown>>();
  const closedError = (cause?: unknown) =>
    new SkyfleetError('fleet_closed', `fleet ${fleet.name}: this fleet was closed`, cause ? { cause } : {});

  const label = (method: string, args: unknown[]): string | undefined => {
    const first = args[0];
    if (method === 'plan' || method === 'apply' || method === 'validate') {
      const name = (first as { metadata?: { name?: unknown } } | undefined)?.metadata?.name;
      return (
        (first && typeof first === 'object' ? sourceOf(first) : undefined) ?? (name ? `deployment ${name}` : undefined)
      );
    }
    return typeof first === 'string' ? `deployment ${first}` : undefined;
  };

  const translate = (e: unknown, method: string, args: unknown[], signal: AbortSignal | undefined): unknown => {
    if (e instanceof SkyfleetError && e.code === 'fleet_closed') return e;
    if (life.signal.aborted) return closedError(e);
    const abortError = e instanceof Error && (e.name === 'AbortError' || e.name === 'TimeoutError');
    if (signal?.aborted || abortError) {
      const reason = signal?.reason instanceof Error ? signal.reason.message : e instanceof Error ? e.message : '';
      return new SkyfleetError('aborted', `${method} was aborted${reason ? `: ${reason}` : ''}`, { cause: e });
    }
    if (e instanceof ValidationError && e.source === undefined) {
      const where = label(method, args);
      if (where) return new ValidationError(e.issues, where);
    }
    return e;
  };

  const wrap =
    (method: string, fn: AnyFn): AnyFn =>
    async (...args: unknown[]) => {
      if (closed) throw closedError();
      const at = OPTIONS_AT[method];
      let own: AbortSignal | undefined;
      if (at !== undefined) {
        const opts = (args[at] ?? {}) as { signal?: unknown };
        if (opts.signal !== undefined && !(opts.signal instanceof AbortSignal)) {
          throw new ValidationError([{ path: 'signal', message: 'expected an AbortSignal' }], `fleet.${method}`);
        }
        own = opts.signal as AbortSignal | undefined;
        if (own?.aborted) throw translate(own.reason, method, args, own);
        const joined = own ? AbortSignal.any([own, life.signal]) : life.signal;
        if (joined !== life.signal) setMaxListeners(1024, joined);
        args[at] = { ...opts, signal: joined };
      }
      const call = fn(...args);
      running.add(call);
      try {
        return await call;
      } catch (e) {
        throw translate(e, method, args, own);
      } finally {
        running.delete(call);
      }
    };

  // every method is guarded, also one added to Fleet later; `rollout`'s controls too
  const guarded: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fleet)) {
    if (typeof value === 'function') guarded[key] = wrap(key, (value as AnyFn).bind(fleet));
    else if (key === 'rollout' && value && typeof value === 'object')
      guarded[key] = Object.fromEntries(
        Object.entries(value as Record<string, AnyFn>).map(([k, fn]) => [
          k,
          wrap(k === 'undo' ? 'undo' : `rollout.${k}`, fn),
        ]),
      );
    else guarded[key] = value;
  }
  guarded.close = async () => {
    if (closed) return;
    closed = true;
    life.abort(closedError());
    await Promise.allSettled([...running]);
    await fleet.close();
  };
  return guarded as unknown as Fleet;
}
