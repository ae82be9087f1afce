import { api, type DeploymentRecord, type DeploymentStatus, type RolloutStatus } from './api';
import { usePoll } from './live';
import { short } from './state';

interface Row {
  record: DeploymentRecord;
  status: DeploymentStatus | undefined;
  rollout: RolloutStatus | undefined;
  autoscaling: Record<string, unknown> | null | undefined;
}

async function readRows(): Promise<Row[]> {
  const { items } = await api.deployments();
  return Promise.all(
    items.map(async (record) => {
      const [status, rollout, auto] = await Promise.all([
        api.status(record.name).catch(() => undefined),
        api.rollout(record.name).catch(() => undefined),
        record.spec.spec.autoscaling
          ? api
              .describe(record.name)
              .then((d) => d.autoscaling)
              .catch(() => undefined)
          : null,
      ]);
      return { record, status, rollout, autoscaling: auto };
    }),
  );
}

export function rolloutWords(r: RolloutStatus | undefined, status: DeploymentStatus | undefined): string {
  if (r?.state) {
    const s = r.state;
    return s.strategy === 'Canary' ? `${s.phase}, step ${s.step}` : `${s.phase}${s.step >= 1 ? ', promoted' : ''}`;
  }
  if (!status) return 'unknown';
  return status.ready >= status.replicas && status.current >= status.replicas ? 'Complete' : 'Progressing';
}

/** The autoscaler's load, as the API reports its last decision (current per metric). */
export function loadWords(auto: Record<string, unknown> | null | undefined): string {
  const decision = auto?.status as { metrics?: Array<{ type?: string; value?: number; target?: number }> } | undefined;
  const m = decision?.metrics?.filter((x) => typeof x.value === 'number') ?? [];
  return m.length
    ? m.map((x) => `${x.type}: ${Math.round((x.value ?? 0) * 100) / 100} (target ${x.target})`).join(', ')
    : '—';
}

export function DeploymentList({ refresh }: { refresh: number }) {
  const { data, error } = usePoll(readRows, [refresh]);
  return (
    <div>
      <h1>Deployments</h1>
      {!data ? (
        <p role="status">{error ? `Could not read the deployments: ${error.message}` : 'Loading…'}</p>
      ) : data.length === 0 ? (
        <p>No deployments yet: apply one with `skyfleet apply -f web.yaml`.</p>
      ) : (
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a region that scrolls must take focus to scroll by keyboard (axe: scrollable-region-focusable)
        <section class="table-wrap" tabIndex={0} aria-label="Deployments table (scrolls sideways)">
          <table class="deployments">
            <caption class="sr-only">Deployments with readiness, revision, strategy and rollout</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Ready / desired</th>
                <th scope="col">Revision</th>
                <th scope="col">Strategy</th>
                <th scope="col">Rollout</th>
                <th scope="col">Autoscaling</th>
                <th scope="col">Load</th>
              </tr>
            </thead>
            <tbody>
              {data.map(({ record, status, rollout, autoscaling }) => {
                const a = record.spec.spec.autoscaling;
                return (
                  <tr key={record.name} data-deployment={record.name}>
                    <th scope="row">
                      <a href={`#/deployments/${encodeURIComponent(record.name)}`}>{record.name}</a>
                    </th>
                    <td data-col="ready">
                      {status?.ready ?? '?'} / {status?.replicas ?? record.spec.spec.replicas}
                    </td>
                    <td>
                      <code>{short(record.revision)}</code>
                      {status?.revisionNumber !== undefined ? ` (#${status.revisionNumber})` : ''}
                    </td>
                    <td>{record.spec.spec.strategy?.type ?? 'RollingUpdate'}</td>
                    <td data-col="rollout">{rolloutWords(rollout, status)}</td>
                    <td>{a ? `${a.minReplicas ?? 1}–${a.maxReplicas ?? '?'}` : 'off'}</td>
                    <td>{loadWords(autoscaling)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </section>
      )}
    </div>
  );
}
