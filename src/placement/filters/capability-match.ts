import { type DomainFilter, PASS, reject } from './filter.js';

/**
 * One replica must fit the domain's per-replica limits, and the domain must run every probe the
 * template has: its kind, as a liveness probe where the target narrows those, and its timing.
 */
export const capabilityMatch: DomainFilter = {
  name: 'capability-match',
  filter(d, { demand }) {
    const c = d.capabilities;
    if (demand.cpuMillis > c.maxCpuMillis)
      return reject(`cpu ${demand.cpuMillis}m per replica > max ${c.maxCpuMillis}m`);
    if (demand.memoryMiB > c.maxMemoryMiB) {
      return reject(`memory ${Math.ceil(demand.memoryMiB)}Mi per replica > max ${c.maxMemoryMiB}Mi`);
    }
    if (demand.ports > c.maxPorts) return reject(`${demand.ports} ports > max ${c.maxPorts}`);
    if (demand.containers > c.maxContainers) return reject(`${demand.containers} containers > max ${c.maxContainers}`);
    for (const p of demand.probes) if (!c.probes.includes(p)) return reject(`${p} probes not supported`);
    const liveness = c.livenessProbes ?? c.probes;
    for (const p of demand.livenessProbes)
      if (!liveness.includes(p)) return reject(`${p} liveness probes not supported (liveness: ${liveness.join(', ')})`);
    if (c.probeTimeoutBelowPeriod && demand.probeTimeoutAtPeriod)
      return reject('a probe timeoutSeconds equal to its periodSeconds (must be below it here)');
    if (c.firstPortOnly && demand.servicePort !== undefined && demand.servicePort !== demand.firstTcpPort)
      return reject(
        `service.targetPort ${demand.servicePort} is not the first container port (${demand.firstTcpPort ?? 'none'}), and this target is reached on its first port only (a dataPlaneAddress front): declare port ${demand.servicePort} first, or remove the target's dataPlaneAddress`,
      );
    return PASS;
  },
};
