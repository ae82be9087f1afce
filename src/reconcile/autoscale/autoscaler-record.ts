import type { AutoscalerState } from '../../autoscaling/autoscaler-state.js';
import type { HeldMetric, MetricStatus } from '../../autoscaling/recommend.js';

/** What the controller's last decision saw: `describe` and `fleet.autoscaling()` show it. */
export interface AutoscalerStatus {
  /** When it was decided (epoch ms). */
  at: number;
  desired: number;
  /** The replica count it started from. */
  current: number;
  reason: string;
  metrics: MetricStatus[];
  held: HeldMetric[];
  panic: boolean;
  /** The last cold starts from zero (ms, newest last), at most COLD_STARTS_KEPT. */
  coldStartsMs: number[];
  /** The targets whose own autoscalers scale the deployment (skyfleet decides no count). */
  delegatedTo?: string[];
}

/** What the store keeps per autoscaled deployment: the decision state and the last status. */
export interface AutoscalerRecord {
  state: AutoscalerState;
  status: AutoscalerStatus;
}

export const COLD_STARTS_KEPT = 100;

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/**
 * The record read back from the store, checked: anything else (a row written by another
 * version, damaged JSON) is undefined, and the autoscaler starts afresh from the spec's count.
 */
export function parseAutoscalerRecord(raw: unknown): AutoscalerRecord | undefined {
  if (!isObj(raw) || !isObj(raw.state) || !isObj(raw.status)) return undefined;
  const s = raw.state;
  const okList = (l: unknown, keys: string[]) =>
    Array.isArray(l) && l.every((e) => isObj(e) && keys.every((k) => isNum(e[k])));
  if (!okList(s.recommendations, ['at', 'replicas']) || !okList(s.scaleEvents, ['at', 'change'])) return undefined;
  if (!isNum(s.lastActiveAt)) return undefined;
  if (s.panic !== null && !(isObj(s.panic) && isNum(s.panic.since) && isNum(s.panic.peak))) return undefined;
  const st = raw.status;
  if (!isNum(st.at) || !isNum(st.desired) || !Array.isArray(st.metrics) || !Array.isArray(st.coldStartsMs))
    return undefined;
  return raw as unknown as AutoscalerRecord;
}
