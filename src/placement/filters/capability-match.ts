import { type DomainFilter, PASS, reject } from './filter.js';

/** One replica must fit the domain's per-replica limits, and the domain must run every probe kind the template uses. */
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
    return PASS;
  },
};
