import { parseDurationMs } from '../util/duration.js';
import { parseDuration } from './duration.js';
import { UsageError } from './usage-error.js';

/**
 * Checks a command's flags before it runs (commander's preAction), so a command line that cannot
 * be acted on exits 2 and touches nothing: `--timeout` must be above 0 and means nothing with
 * `--no-wait`; `--limit` is a count of 1 or more.
 */
export function checkFlags(command: string, opts: { timeout?: string; wait?: boolean; limit?: string }): void {
  if (opts.timeout !== undefined) {
    const ms = parseDurationMs(opts.timeout);
    if (ms !== undefined && ms <= 0) {
      throw new UsageError(
        `--timeout: expected a duration above 0 such as 90s or 10m, got ${JSON.stringify(opts.timeout)} (to not wait, use --no-wait)`,
      );
    }
    if (opts.wait === false) {
      throw new UsageError(
        `${command}: --timeout and --no-wait do not go together: --no-wait returns after the first step, so there is nothing to time out; drop one`,
      );
    }
  }
  if (opts.limit !== undefined && !/^[1-9]\d*$/.test(opts.limit.trim())) {
    throw new UsageError(`--limit: expected a whole number of 1 or more, got ${JSON.stringify(opts.limit)}`);
  }
}

/** The controller's lease TTL: at least 1 s (it is renewed every third of it, in the store). */
export function leaseTtl(text: string): number {
  const ms = parseDuration(text, '--lease-ttl');
  if (ms < 1000)
    throw new UsageError(`--lease-ttl: ${text} is too short: at least 1s (the lease is renewed every third of it)`);
  return ms;
}
