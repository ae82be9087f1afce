import type { LastScale } from '../autoscaling/autoscaler-state.js';
import { type AutoscalerStatus, parseAutoscalerRecord } from '../reconcile/autoscale/autoscaler-record.js';
import type { Autoscaling } from '../spec/autoscaling.js';
import type { DeploymentRecord, Store } from '../store/store.js';

/** What `describe` and `fleet.autoscaling()` show of a deployment's autoscaler. */
export interface AutoscalingView {
  deployment: string;
  spec: Autoscaling;
  /** The count recorded now (what the autoscaler last decided, or the apply's starting point). */
  replicas: number;
  /** The controller's last decision: current and target per metric, held metrics, why. */
  status?: AutoscalerStatus;
  lastScale?: LastScale;
  /** Cold starts from zero seen at the listener (ms): how many, median and 99th percentile. */
  coldStarts?: { count: number; p50Ms: number; p99Ms: number };
}

const quantile = (sorted: number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;

/** The autoscaler view of a stored deployment; undefined when it has no `spec.autoscaling`. */
export async function autoscalingView(store: Store, rec: DeploymentRecord): Promise<AutoscalingView | undefined> {
  const spec = rec.spec.spec.autoscaling;
  if (!spec) return undefined;
  const saved = parseAutoscalerRecord(await store.getAutoscalerState(rec.name));
  const view: AutoscalingView = { deployment: rec.name, spec, replicas: rec.spec.spec.replicas };
  if (saved) {
    view.status = saved.status;
    if (saved.state.lastScale) view.lastScale = saved.state.lastScale;
    const cs = [...saved.status.coldStartsMs].sort((a, b) => a - b);
    if (cs.length) view.coldStarts = { count: cs.length, p50Ms: quantile(cs, 0.5), p99Ms: quantile(cs, 0.99) };
  }
  return view;
}
