/**
 * Resource use of running containers from Docker's stats API (`GET /containers/{id}/stats?stream=false`,
 * which samples twice about a second apart): cpu in cores from the cpu and system deltas, the
 * way `docker stats` computes its percentage; memory as the working set (usage less the
 * reclaimable page cache: `inactive_file` on cgroup v2, `total_inactive_file` or `cache` on v1),
 * as the kubelet reports it.
 */
import type Docker from 'dockerode';
import { LABELS } from '../../src/provider/labels.js';
import type { ReplicaUsage } from '../../src/provider/provider.js';
import { mapPool } from '../../src/util/pool.js';

/** The fields of a stats answer read here. */
interface StatsAnswer {
  read?: string;
  cpu_stats?: {
    cpu_usage?: { total_usage?: number; percpu_usage?: number[] };
    system_cpu_usage?: number;
    online_cpus?: number;
  };
  precpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number };
  memory_stats?: { usage?: number; stats?: Record<string, number> };
}

/** Cores in use from one stats answer (undefined without a previous sample to compare with). */
export function cpuCores(s: StatsAnswer): number | undefined {
  const cpu = s.cpu_stats?.cpu_usage?.total_usage;
  const pre = s.precpu_stats?.cpu_usage?.total_usage;
  const sys = s.cpu_stats?.system_cpu_usage;
  const preSys = s.precpu_stats?.system_cpu_usage;
  if (cpu === undefined || pre === undefined || sys === undefined || preSys === undefined || sys <= preSys)
    return undefined;
  const cpus = s.cpu_stats?.online_cpus || s.cpu_stats?.cpu_usage?.percpu_usage?.length || 1;
  return Math.max(0, ((cpu - pre) / (sys - preSys)) * cpus);
}

/** The working set in bytes from one stats answer. */
export function workingSetBytes(s: StatsAnswer): number | undefined {
  const usage = s.memory_stats?.usage;
  if (usage === undefined) return undefined;
  const st = s.memory_stats?.stats ?? {};
  const reclaimable = st.inactive_file ?? st.total_inactive_file ?? st.cache ?? 0;
  return Math.max(0, usage - reclaimable);
}

/** Usage of the running containers with these label filters, 8 stats calls at a time. */
export async function readUsage(docker: Docker, labels: string[], now: () => number): Promise<ReplicaUsage[]> {
  const list = await docker.listContainers({ filters: { label: labels, status: ['running'] } });
  const out = await mapPool(list, 8, async (c) => {
    let s: StatsAnswer;
    try {
      s = (await docker.getContainer(c.Id).stats({ stream: false })) as StatsAnswer;
    } catch {
      return undefined; // gone or stopping since the list: no reading, not an error
    }
    const u: ReplicaUsage = { id: c.Id, revision: c.Labels?.[LABELS.revision] ?? '', sampledAt: now() };
    const cpu = cpuCores(s);
    const mem = workingSetBytes(s);
    if (cpu !== undefined) u.cpuCores = cpu;
    if (mem !== undefined) u.memoryBytes = mem;
    return u;
  });
  return out.filter((u): u is ReplicaUsage => u !== undefined);
}
