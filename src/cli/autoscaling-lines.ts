import type { AutoscalingView } from '../operations/autoscaling-status.js';
import { table } from './table.js';

const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`;

/** The autoscaling section of `describe deployment`. */
export function autoscalingLines(v: AutoscalingView, now: number): string[] {
  const s = v.spec;
  const lines = [
    '',
    'Autoscaling:',
    `  Bounds:      ${s.minReplicas}-${s.maxReplicas} replicas${s.minReplicas === 0 ? ` (to zero after ${s.scaleToZero.idleSeconds}s idle; activation timeout ${s.scaleToZero.activationTimeoutSeconds}s)` : ''}`,
    `  Desired:     ${v.replicas}`,
  ];
  const st = v.status;
  if (!st) {
    lines.push(
      '  Decision:    <none: the autoscaler runs in the controller (`skyfleet controller`), none has decided yet>',
    );
  } else if (st.delegatedTo) {
    lines.push(
      `  Scaled by:   the platform's own autoscaler on ${st.delegatedTo.join(', ')}, within its share of the bounds (skyfleet decides no count)`,
    );
  } else {
    lines.push(
      `  Decision:    ${st.current} -> ${st.desired} ${seconds(now - st.at)} ago: ${st.reason}${st.panic ? ' [fast path]' : ''}`,
    );
    lines.push(
      table(
        ['METRIC', 'CURRENT', 'TARGET', 'WANTS', 'NOTE'],
        st.metrics.map((m) => [
          m.type,
          m.value === undefined ? '<unknown>' : String(Math.round(m.value * 100) / 100),
          String(m.target),
          String(m.replicas),
          m.held ? `held: ${m.held.message}` : m.withinTolerance ? 'within tolerance' : '',
        ]),
      )
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\n'),
    );
  }
  if (v.lastScale)
    lines.push(
      `  Last scale:  ${v.lastScale.from} -> ${v.lastScale.to} ${seconds(now - v.lastScale.at)} ago: ${v.lastScale.reason}`,
    );
  if (v.coldStarts)
    lines.push(
      `  Cold starts: ${v.coldStarts.count}, p50 ${seconds(v.coldStarts.p50Ms)}, p99 ${seconds(v.coldStarts.p99Ms)}`,
    );
  return lines;
}

/** `get`'s AUTOSCALE column: `min-max`, or `-` when the count is set by hand. */
export function autoscaleRange(a: { minReplicas: number; maxReplicas: number } | undefined): string {
  return a ? `${a.minReplicas}-${a.maxReplicas}` : '-';
}

/** `get -o json|yaml`: the bounds of an autoscaled deployment. */
export function autoscaleBounds(a: { minReplicas: number; maxReplicas: number } | undefined): {
  autoscaling?: { minReplicas: number; maxReplicas: number };
} {
  return a ? { autoscaling: { minReplicas: a.minReplicas, maxReplicas: a.maxReplicas } } : {};
}
