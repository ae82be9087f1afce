import { useEffect, useMemo, useState } from 'preact/hooks';
import { Actions, mayAct } from './actions';
import {
  api,
  type Describe,
  type EventRecord,
  type Role,
  type RolloutStatus,
  type Slice,
  type Target,
  type Traffic,
} from './api';
import { COLORS, Chart, type Series } from './chart';
import { replicasOf } from './fleet-map';
import { usePoll } from './live';
import { RolloutView } from './rollout';
import { StateCounts, StateIcon, short } from './state';

interface PageData {
  describe: Describe;
  rollout: RolloutStatus | undefined;
  targets: Target[];
  events: EventRecord[];
  traffic: Traffic | undefined;
}

interface Sample {
  t: number;
  desired: number;
  ready: number;
  byRevision: Record<string, number>;
  /** Per revision, from the listener: requests/s, error rate (%), p99 (ms). */
  rps: Record<string, number>;
  errorPct: Record<string, number>;
  p99: Record<string, number>;
}

const KEEP = 300;

export function DeploymentPage({ name, role, refresh }: { name: string; role: Role | undefined; refresh: number }) {
  const { data, error, reload } = usePoll<PageData>(async () => {
    const [describe, rollout, { items: targets }, { items: events }, traffic] = await Promise.all([
      api.describe(name),
      api.rollout(name).catch(() => undefined),
      api.targets(),
      api.events(name, 30),
      api.traffic(name).catch(() => undefined),
    ]);
    return { describe, rollout, targets, events, traffic };
  }, [name, refresh]);
  const [samples, setSamples] = useState<Sample[]>([]);
  const [notice, setNotice] = useState<string>();
  useEffect(() => setSamples([]), [name]);
  useEffect(() => {
    const st = data?.describe.status;
    if (!st) return;
    const byRevision: Record<string, number> = {};
    for (const s of st.slices) byRevision[s.revision] = (byRevision[s.revision] ?? 0) + s.ready;
    const rps: Record<string, number> = {};
    const errorPct: Record<string, number> = {};
    const p99: Record<string, number> = {};
    for (const r of data?.traffic?.items ?? []) {
      rps[r.revision] = r.requestsPerSecond;
      errorPct[r.revision] = r.requests ? (r.errors / r.requests) * 100 : 0;
      p99[r.revision] = r.p99Ms;
    }
    const sample = { t: Date.now() / 1000, desired: st.replicas, ready: st.ready, byRevision, rps, errorPct, p99 };
    setSamples((cur) => [...cur, sample].slice(-KEEP));
  }, [data]);
  const revisions = useMemo(() => [...new Set(samples.flatMap((s) => Object.keys(s.byRevision)))], [samples]);
  const served = useMemo(() => [...new Set(samples.flatMap((s) => Object.keys(s.rps)))], [samples]);

  if (!data) {
    return <p role="status">{error ? `Could not read ${name}: ${error.message}` : `Loading ${name}…`}</p>;
  }
  const { describe, rollout, targets, events } = data;
  const { record, status, history } = describe;
  const spec = record.spec.spec;
  const t = samples.map((s) => s.t);
  const replicaSeries: Series[] = [
    { label: 'desired', color: COLORS.blue, dash: [6, 4] },
    { label: 'ready', color: COLORS.green },
  ];
  const palette = [COLORS.orange, COLORS.purple, COLORS.vermillion, COLORS.blue];
  const perRevision = (revs: string[]): Series[] =>
    revs.map((r, i) => ({
      label: `rev ${short(r)}`,
      color: palette[i % palette.length]!,
      ...(i % 2 ? { dash: [3, 3] } : {}),
    }));
  const revisionSeries = perRevision(revisions);
  const trafficSeries = perRevision(served);
  const per = (key: 'rps' | 'errorPct' | 'p99') => [t, ...served.map((r) => samples.map((s) => s[key][r] ?? 0))];
  return (
    <div class="deployment" data-deployment={name}>
      <p>
        <a href="#/deployments">← Deployments</a>
      </p>
      <h1>Deployment {name}</h1>
      <p class="summary">
        <span data-testid="ready-count">
          {status.ready} / {status.replicas} ready
        </span>{' '}
        · revision <code>{short(record.revision)}</code>
        {status.revisionNumber !== undefined ? ` (#${status.revisionNumber})` : ''} · generation {record.generation} ·{' '}
        {spec.strategy?.type ?? 'RollingUpdate'}
        {spec.autoscaling ? ` · autoscaling ${spec.autoscaling.minReplicas ?? 1}–${spec.autoscaling.maxReplicas}` : ''}
      </p>
      {notice && (
        <p class="notice" role="status" data-testid="notice">
          {notice}
        </p>
      )}
      {mayAct(role) && (
        <Actions
          record={record}
          rollout={rollout?.state}
          history={history}
          targets={targets}
          onDone={(m) => {
            setNotice(m);
            reload();
          }}
        />
      )}
      <RolloutView record={record} rollout={rollout} />
      <section aria-labelledby="charts-h">
        <h2 id="charts-h">Over time</h2>
        <div class="charts">
          <Chart
            title="Replicas desired and ready"
            series={replicaSeries}
            data={[t, samples.map((s) => s.desired), samples.map((s) => s.ready)]}
          />
          <Chart
            title="Ready replicas per revision"
            series={revisionSeries}
            data={[t, ...revisions.map((r) => samples.map((s) => s.byRevision[r] ?? 0))]}
          />
          {data.traffic?.served && (
            <>
              <Chart title="Requests per second" series={trafficSeries} data={per('rps')} unit="/s" />
              <Chart title="Error rate" series={trafficSeries} data={per('errorPct')} unit="%" />
              <Chart title="p99 latency" series={trafficSeries} data={per('p99')} unit=" ms" />
            </>
          )}
        </div>
        <p class="hint">
          Sampled by this page while it is open, from the deployment's status
          {data.traffic?.served
            ? ` and its listener's traffic over the last ${data.traffic.windowMs / 1000} s, per revision.`
            : '. No traffic charts: the deployment has no listener (spec.service) on this server.'}
        </p>
      </section>
      <section aria-labelledby="replicas-h">
        <h2 id="replicas-h">Replicas</h2>
        {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a region that scrolls must take focus to scroll by keyboard (axe: scrollable-region-focusable) */}
        <section class="table-wrap" tabIndex={0} aria-label="Replicas table (scrolls sideways)">
          <table class="replicas-table">
            <thead>
              <tr>
                <th scope="col">State</th>
                <th scope="col">Replica</th>
                <th scope="col">Target / zone</th>
                <th scope="col">Revision</th>
                <th scope="col">Endpoint</th>
                <th scope="col">Last message</th>
              </tr>
            </thead>
            <tbody>
              {status.slices.flatMap((s) =>
                s.observedAs === 'aggregate' ? (
                  // one row for a slice whose platform counts replicas without listing them (Cloud Run)
                  <tr key={`${s.target}-${s.key.zone}-${s.revision}`} data-revision={s.revision} data-aggregate="yes">
                    <td>{[...new Set(replicasOf(s).map((r) => r.state))].join(', ') || '—'}</td>
                    <td>
                      {s.ready}/{s.replicas} ready, counted by the platform
                    </td>
                    <SliceCells slice={s} current={status.revision} />
                    <td>
                      {[
                        ...new Set(replicasOf(s).flatMap((r) => r.endpoints?.map((e) => `${e.host}:${e.port}`) ?? [])),
                      ].join(', ') || '—'}
                    </td>
                    <td>{replicasOf(s).find((r) => r.message)?.message ?? s.detail ?? ''}</td>
                  </tr>
                ) : (
                  replicasOf(s).map((r) => (
                    <tr key={r.id} data-revision={s.revision} data-state={r.state}>
                      <td>
                        <StateIcon state={r.state} /> {r.state}
                      </td>
                      <td>{r.name ?? r.id}</td>
                      <SliceCells slice={s} current={status.revision} />
                      <td>{r.endpoints?.map((e) => `${e.host}:${e.port}`).join(', ') || '—'}</td>
                      <td>{r.message ?? ''}</td>
                    </tr>
                  ))
                ),
              )}
            </tbody>
          </table>
        </section>
        <p>
          By revision:{' '}
          {[...new Set(status.slices.map((s) => s.revision))].map((rev) => (
            <span key={rev} class="by-rev" data-revision={rev}>
              <code>{short(rev)}</code>{' '}
              <StateCounts replicas={status.slices.filter((s) => s.revision === rev).flatMap(replicasOf)} />{' '}
            </span>
          ))}
        </p>
      </section>
      <section aria-labelledby="revisions-h">
        <h2 id="revisions-h">Revisions</h2>
        <ol class="revisions" reversed>
          {[...history]
            .sort((a, b) => b.number - a.number)
            .map((h) => (
              <li key={h.revision}>
                #{h.number} <code>{short(h.revision)}</code> {h.template.containers?.map((c) => c.image).join(', ')} ·{' '}
                {new Date(h.createdAt).toLocaleString()}
                {h.revision === record.revision ? ' (current)' : ''}
              </li>
            ))}
        </ol>
      </section>
      <section aria-labelledby="events-h">
        <h2 id="events-h">Events</h2>
        <ul class="events" aria-live="polite">
          {events.map((e) => (
            <li key={e.id ?? `${e.time}-${e.reason}`} class={e.type === 'Warning' ? 'warn' : ''}>
              <time dateTime={new Date(e.time).toISOString()}>{new Date(e.time).toLocaleTimeString()}</time>{' '}
              {e.type === 'Warning' ? <span aria-hidden="true">⚠ </span> : null}
              <strong>{e.reason}</strong> {e.message}
            </li>
          ))}
        </ul>
      </section>
    </div>
  );
}

/** The replica table's Target / zone and Revision cells of a slice's rows. */
function SliceCells({ slice, current }: { slice: Slice; current: string }) {
  return (
    <>
      <td>
        {slice.target} / {slice.key.zone}
      </td>
      <td>
        <code>{short(slice.revision)}</code>
        {slice.revision === current ? ' (current)' : ' (old)'}
      </td>
    </>
  );
}
