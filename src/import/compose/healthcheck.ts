import { type Plain, type Scope, isPlain, show, warnUnhandled } from '../scope.js';
import type { ProbeDoc } from '../skyfleet-types.js';
import { composeSeconds } from './units.js';

const wholeSeconds = (s: number) => Math.max(1, Math.ceil(s));

/**
 * A Compose `healthcheck` as a readiness probe (exec): `test` is the command (CMD-SHELL through
 * /bin/sh -c), interval -> periodSeconds, timeout -> timeoutSeconds, retries -> failureThreshold,
 * start_period -> initialDelaySeconds. Compose's defaults (30s, 30s, 3) are written out.
 */
export function convertHealthcheck(scope: Scope, raw: unknown): ProbeDoc | undefined {
  if (!isPlain(raw)) {
    scope.warn(`expected a healthcheck object, got ${show(raw)}: no probe`);
    return undefined;
  }
  warnUnhandled(
    scope,
    raw,
    ['test', 'interval', 'timeout', 'retries', 'start_period', 'disable'],
    { start_interval: 'skyfleet probes at one interval from the start: start_interval is not supported' },
    'not a field of a healthcheck',
  );
  if (raw.disable === true) return undefined;
  const t = raw.test;
  let command: string[] | undefined;
  if (typeof t === 'string') command = ['/bin/sh', '-c', t];
  else if (Array.isArray(t) && t[0] === 'CMD') command = t.slice(1).map(String);
  else if (Array.isArray(t) && t[0] === 'CMD-SHELL') command = ['/bin/sh', '-c', t.slice(1).map(String).join(' ')];
  else if (Array.isArray(t) && t[0] === 'NONE') return undefined;
  if (!command?.length) {
    scope.warn(
      `expected test: a string, or a list starting with CMD, CMD-SHELL or NONE, got ${show(t)}: no probe`,
      'test',
    );
    return undefined;
  }
  const seconds = (key: string, dflt: number): number => {
    if (raw[key] === undefined) return dflt;
    const s = composeSeconds(raw[key]);
    if (s === undefined) {
      scope.warn(
        `expected a duration like 10s or 1m30s, got ${show(raw[key])}: ${dflt}s (Compose's default) is used`,
        key,
      );
      return dflt;
    }
    if (s !== Math.ceil(s) && s > 0)
      scope.warn(`skyfleet counts probe times in whole seconds: ${show(raw[key])} is ${wholeSeconds(s)}s`, key);
    return s;
  };
  const period = wholeSeconds(seconds('interval', 30));
  let timeout = wholeSeconds(seconds('timeout', 30));
  if (timeout > period) {
    scope.warn(
      `timeout ${timeout}s is longer than interval ${period}s; skyfleet does not let probes overlap, so the timeout is ${period}s`,
      raw.timeout !== undefined ? 'timeout' : 'interval',
    );
    timeout = period;
  }
  const probe: Plain = {
    exec: { command },
    periodSeconds: period,
    timeoutSeconds: timeout,
    failureThreshold: typeof raw.retries === 'number' && raw.retries >= 1 ? raw.retries : 3,
  };
  if (raw.start_period !== undefined) probe.initialDelaySeconds = Math.ceil(seconds('start_period', 0));
  return probe as ProbeDoc;
}
