import { SkyfleetError } from '../errors/index.js';
import type { RolloutStatus } from '../fleet.js';

export interface FollowRolloutOptions {
  name: string;
  /** Reads where the rollout stands now. */
  read: () => Promise<RolloutStatus>;
  /**
   * A feed of changes (a server's watch): calls `wake` on each one and runs until `signal` aborts.
   * Without one, or between its changes, the status is read every `pollMs`.
   */
  feed?: (wake: () => void, signal: AbortSignal) => Promise<void>;
  pollMs: number;
  signal: AbortSignal;
  /** Give up after this long (a `not_converged` error). */
  timeoutMs?: number;
  /** Each new state, once: its line and the status it was read from. */
  onChange: (line: string, status: RolloutStatus) => void;
}

/** Whether a rollout reached its end: its own stored state when progressive, else every replica ready and current. */
export function rolloutOutcome(r: RolloutStatus): 'Completed' | 'Aborted' | undefined {
  const st = r.state;
  const s = r.status;
  if ((r.strategy === 'BlueGreen' || r.strategy === 'Canary') && st) {
    // a state of an earlier revision says nothing about this one: the controller has not started it yet
    if (st.canary !== s.revision) return undefined;
    if (st.phase === 'Completed' || st.phase === 'Aborted') return st.phase;
    return undefined;
  }
  if (r.strategy === 'BlueGreen' || r.strategy === 'Canary') return undefined;
  const old = s.domains.reduce((n, d) => n + d.old, 0);
  return s.ready >= s.replicas && s.current >= s.replicas && old === 0 ? 'Completed' : undefined;
}

/** One line for where a rollout stands. */
export function rolloutLine(r: RolloutStatus): string {
  const st = r.state && r.state.canary === r.status.revision ? r.state : undefined;
  const ready = `ready ${r.status.ready}/${r.status.replicas}`;
  if (st) return `deployment/${r.deployment}: ${r.strategy} ${st.phase} step ${st.step}: ${st.message} (${ready})`;
  const old = r.status.domains.reduce((n, d) => n + d.old, 0);
  return `deployment/${r.deployment}: ${r.strategy} revision ${r.status.revision}: ${ready}, up-to-date ${r.status.current}${old ? `, old ${old}` : ''}`;
}

/**
 * `rollout status NAME -w`: reports each change of a rollout until it completes (resolves with
 * its last status), is aborted (a `rollout_aborted` error: the CLI exits 1), times out or is
 * interrupted (`not_converged` or `aborted` errors).
 */
export async function followRollout(o: FollowRolloutOptions): Promise<RolloutStatus> {
  const ac = new AbortController();
  const stopFeed = () => ac.abort(o.signal.reason);
  o.signal.addEventListener('abort', stopFeed, { once: true });
  let pending = true;
  let wakeUp: (() => void) | undefined;
  let feedError: unknown;
  const wake = () => {
    pending = true;
    wakeUp?.();
  };
  const feed = o.feed?.(wake, ac.signal).catch((e) => {
    feedError = e;
    wake();
  });
  const deadline = o.timeoutMs !== undefined ? Date.now() + o.timeoutMs : undefined;
  let last = '';
  try {
    for (;;) {
      if (o.signal.aborted)
        throw new SkyfleetError('aborted', `rollout status ${o.name}: interrupted before the rollout finished`);
      if (feedError !== undefined) throw feedError;
      if (deadline !== undefined && Date.now() >= deadline)
        throw new SkyfleetError(
          'not_converged',
          `rollout status ${o.name}: not finished after the --timeout; it is at: ${last || 'nothing read yet'}`,
        );
      if (!pending) {
        await new Promise<void>((resolve) => {
          const wait = Math.min(o.pollMs, deadline !== undefined ? Math.max(0, deadline - Date.now()) : o.pollMs);
          const timer = setTimeout(done, wait);
          function done() {
            clearTimeout(timer);
            wakeUp = undefined;
            o.signal.removeEventListener('abort', done);
            resolve();
          }
          wakeUp = done;
          o.signal.addEventListener('abort', done, { once: true });
        });
      }
      pending = false;
      const status = await o.read();
      const line = rolloutLine(status);
      if (line !== last) {
        last = line;
        o.onChange(line, status);
      }
      const outcome = rolloutOutcome(status);
      if (outcome === 'Completed') return status;
      if (outcome === 'Aborted')
        throw new SkyfleetError(
          'rollout_aborted',
          `deployment/${o.name} rollout aborted: ${status.state?.message || 'back to the stable revision'}`,
        );
    }
  } finally {
    o.signal.removeEventListener('abort', stopFeed);
    ac.abort();
    await feed;
  }
}
