import { api, type DeploymentRecord, type DeploymentStatus, type ReplicaStatus, type Slice, type Target } from './api';
import { usePoll } from './live';
import { StateCounts, StateIcon, short } from './state';

/** A slice's replicas, one per replica: from what the platform reported, else from its counts. */
export function replicasOf(s: Slice): ReplicaStatus[] {
  if (s.replicaStatus?.length) return s.replicaStatus;
  return Array.from({ length: s.replicas }, (_, i) => ({
    id: `${s.target}-${s.key.zone}-${s.revision}-${i}`,
    state: i < s.ready ? ('ready' as const) : ('starting' as const),
    ready: i < s.ready,
  }));
}

interface MapData {
  targets: Target[];
  deployments: Array<{ record: DeploymentRecord; status: DeploymentStatus | undefined }>;
}

async function readMap(): Promise<MapData> {
  const [{ items: targets }, { items }] = await Promise.all([api.targets(), api.deployments()]);
  const deployments = await Promise.all(
    items.map(async (record) => ({ record, status: await api.status(record.name).catch(() => undefined) })),
  );
  return { targets, deployments };
}

/** provider -> region -> targets. */
function group(targets: Target[]): Map<string, Map<string, Target[]>> {
  const out = new Map<string, Map<string, Target[]>>();
  for (const t of [...targets].sort((a, b) => a.target.localeCompare(b.target))) {
    const provider = t.topology.provider ?? t.kind;
    const region = t.topology.region ?? '-';
    const regions = out.get(provider) ?? new Map<string, Target[]>();
    out.set(provider, regions);
    regions.set(region, [...(regions.get(region) ?? []), t]);
  }
  return out;
}

export function FleetMap({ refresh }: { refresh: number }) {
  const { data, error } = usePoll(readMap, [refresh]);
  if (!data) return <p role="status">{error ? `Could not read the fleet: ${error.message}` : 'Loading the fleet…'}</p>;
  if (!data.targets.length) return <p>This fleet has no targets.</p>;
  return (
    <div class="map">
      <h1>Fleet map</h1>
      <p class="hint">
        Targets by cloud, region and zone. Each zone lists what runs there by deployment and revision;{' '}
        <span aria-hidden="true">●</span> ready, <span aria-hidden="true">◐</span> starting,{' '}
        <span aria-hidden="true">▲</span> unhealthy, <span aria-hidden="true">✕</span> failed.
      </p>
      {[...group(data.targets)].map(([provider, regions]) => (
        <section key={provider} class="provider" aria-labelledby={`p-${provider}`}>
          <h2 id={`p-${provider}`}>Cloud: {provider}</h2>
          {[...regions].map(([region, targets]) => (
            <section key={region} class="region" aria-label={`region ${region}`}>
              <h3>Region: {region}</h3>
              {targets.map((t) => (
                <TargetRow key={t.target} target={t} deployments={data.deployments} />
              ))}
            </section>
          ))}
        </section>
      ))}
    </div>
  );
}

function TargetRow({ target, deployments }: { target: Target; deployments: MapData['deployments'] }) {
  const zones = target.topology.zones ?? target.health?.map((h) => h.zone) ?? [];
  const weights = deployments
    .map(({ record }) => ({
      name: record.name,
      ref: record.spec.spec.placement?.targets?.find((x) => x.name === target.target),
    }))
    .filter((w) => w.ref);
  return (
    <div class="target" data-target={target.target}>
      <h4>
        Target {target.target} <span class="kind">({target.kind})</span>
      </h4>
      {weights.length > 0 && (
        <p class="weights">
          Placement:{' '}
          {weights.map((w) => (
            <span key={w.name} class="weight">
              {w.name} weight {w.ref?.weight ?? 1}
              {w.ref?.min !== undefined ? `, min ${w.ref.min}` : ''}
              {w.ref?.max !== undefined ? `, max ${w.ref.max}` : ''}
            </span>
          ))}
        </p>
      )}
      {target.healthError && <p class="warn">Health unknown: {target.healthError}</p>}
      <ul class="zones">
        {zones.map((z) => (
          <ZoneCell key={z} target={target} zone={z} deployments={deployments} />
        ))}
      </ul>
    </div>
  );
}

function ZoneCell({
  target,
  zone,
  deployments,
}: {
  target: Target;
  zone: string;
  deployments: MapData['deployments'];
}) {
  const health = target.health?.find((h) => h.zone === zone);
  const healthy = health ? health.healthy : undefined;
  const running = deployments.flatMap(({ record, status }) =>
    (status?.slices ?? [])
      .filter((s) => s.target === target.target && s.key.zone === zone)
      .map((s) => ({ record, status, slice: s })),
  );
  const total = running.reduce((n, r) => n + r.slice.replicas, 0);
  const id = `${target.target}/${zone}`;
  return (
    <li
      class={`zone ${healthy === false ? 'zone-down' : ''}`}
      data-zone={id}
      data-health={healthy === undefined ? 'unknown' : healthy ? 'healthy' : 'down'}
      aria-label={`zone ${id}`}
    >
      <div class="zone-head">
        <strong>Zone {zone}</strong>
        <span class="zone-health">
          {healthy === false ? (
            <>
              <span aria-hidden="true">✕</span> down{health?.reason ? `: ${health.reason}` : ''}
            </>
          ) : healthy ? (
            <>
              <span aria-hidden="true">✓</span> healthy
            </>
          ) : (
            <>? health not reported</>
          )}
        </span>
        <span class="capacity">
          {total} replica{total === 1 ? '' : 's'}
          {target.maxReplicasPerZone !== undefined ? ` of at most ${target.maxReplicasPerZone}` : ''}
        </span>
      </div>
      {running.length === 0 ? (
        <p class="empty">nothing runs here</p>
      ) : (
        <ul class="slices">
          {running.map(({ record, status, slice }) => {
            const replicas = replicasOf(slice);
            const current = slice.revision === status?.revision;
            return (
              <li
                key={`${record.name}-${slice.revision}`}
                class="slice"
                data-deployment={record.name}
                data-revision={slice.revision}
                data-current={current ? 'yes' : 'no'}
              >
                <a href={`#/deployments/${encodeURIComponent(record.name)}`}>{record.name}</a>{' '}
                <span class="rev">
                  rev {short(slice.revision)} {current ? '(current)' : '(previous)'}
                </span>
                {slice.observedAs === 'aggregate' ? (
                  // the platform counts these replicas but shows none of them: no icon per replica
                  <span class="aggregate" data-aggregate="yes">
                    {slice.ready}/{slice.replicas} ready, counted by the platform
                  </span>
                ) : (
                  <div class="replicas" aria-hidden="true">
                    {replicas.map((r) => (
                      <StateIcon key={r.id} state={r.state} label={`${r.name ?? r.id}: ${r.state}`} />
                    ))}
                  </div>
                )}
                <StateCounts replicas={replicas} />
              </li>
            );
          })}
        </ul>
      )}
    </li>
  );
}
