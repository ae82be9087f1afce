import type { CanaryStep } from '../spec/deployment.js';

export type AnalysisSpec = Extract<CanaryStep, { analysis: unknown }>['analysis'];

/** Outcomes of one revision's traffic over a window (the router's RevisionStats shape). */
export interface TrafficStats {
  requests: number;
  errors: number;
  successRate: number;
  p99Ms: number;
}

export type Verdict =
  | { result: 'pass'; message: string }
  | { result: 'fail'; message: string }
  | { result: 'inconclusive'; message: string };

/** ">= 0.99" -> a predicate and its text. */
export function parseThreshold(text: string): { test: (v: number) => boolean; op: string; value: number } {
  const m = /^\s*(>=|<=|>|<)\s*(\d+(?:\.\d+)?)\s*$/.exec(text);
  if (!m) throw new Error(`not a threshold: ${text}`);
  const value = Number(m[2]);
  const op = m[1]!;
  const test =
    op === '>='
      ? (v: number) => v >= value
      : op === '<='
        ? (v: number) => v <= value
        : op === '>'
          ? (v: number) => v > value
          : (v: number) => v < value;
  return { test, op, value };
}

/** Judges a canary's traffic against an analysis step's thresholds. Pure. */
export function analyse(spec: AnalysisSpec, stats: TrafficStats | undefined): Verdict {
  const n = stats?.requests ?? 0;
  if (!stats || n < spec.minRequests) {
    return {
      result: 'inconclusive',
      message: `${n} requests in the window, fewer than the ${spec.minRequests} needed for a verdict`,
    };
  }
  const failures: string[] = [];
  const passes: string[] = [];
  if (spec.successRate) {
    const t = parseThreshold(spec.successRate);
    const text = `success rate ${stats.successRate.toFixed(4)} (${stats.errors} errors in ${n} requests)`;
    (t.test(stats.successRate) ? passes : failures).push(
      `${text} ${t.test(stats.successRate) ? 'meets' : 'misses'} ${t.op} ${t.value}`,
    );
  }
  if (spec.p99LatencyMs) {
    const t = parseThreshold(spec.p99LatencyMs);
    const text = `p99 latency ${Math.round(stats.p99Ms)} ms`;
    (t.test(stats.p99Ms) ? passes : failures).push(
      `${text} ${t.test(stats.p99Ms) ? 'meets' : 'misses'} ${t.op} ${t.value}`,
    );
  }
  if (failures.length) return { result: 'fail', message: failures.join('; ') };
  return { result: 'pass', message: passes.join('; ') || `${n} requests` };
}
