/**
 * Placement benchmark: 1,000,000 replicas over 10,000 domains (5 providers x 10 regions x 2 targets
 * x 100 zones), three DoNotSchedule spread constraints (provider, region, zone) and static target
 * weights 1:2:3. Prints the median time of several runs at 1,000,000 replicas and at 1,000 replicas
 * over the same domains, and their ratio. Targets: 1M under 100 ms, ratio <= 1.5 (cost grows with
 * domains, not replicas). Every result is checked too: the total, capacity, every spread constraint
 * (`violations`), and each target's total against its weight (the weighted split keeps every rule
 * here, so each target must get exactly its Karmada static-weight share, within 1 of
 * replicas * weight / sum of weights). Exits 1 when a target is missed or a check fails.
 */
import { performance } from 'node:perf_hooks';
import {
  type Domain,
  divideByStaticWeight,
  type PlacementRequest,
  type PlacementResult,
  place,
  violations,
} from '../../src/placement/index.js';
import type { Capabilities } from '../../src/provider/provider.js';

const caps: Capabilities = {
  maxCpuMillis: 4000,
  maxMemoryMiB: 8192,
  maxPorts: 4,
  maxContainers: 4,
  probes: ['httpGet', 'tcpSocket', 'exec'],
  nativeTrafficSplit: false,
  scaleToZero: false,
  nativeAutoscaling: false,
  publicEndpoints: true,
  gpu: false,
};

function fleet(): Domain[] {
  const out: Domain[] = [];
  for (let p = 0; p < 5; p++)
    for (let r = 0; r < 10; r++)
      for (let t = 0; t < 2; t++)
        for (let z = 0; z < 100; z++) {
          out.push({
            provider: `cloud${p}`,
            region: `region${r}`,
            target: `cloud${p}-region${r}-t${t}`,
            zone: `zone${t}-${z}`,
            healthy: true,
            capabilities: caps,
            pricePerReplicaHour: 0.01 + ((p * 7 + r * 3 + z) % 10) / 1000,
          });
        }
  return out;
}

function request(domains: Domain[], replicas: number): PlacementRequest {
  const targets = [...new Set(domains.map((d) => d.target))].map((name, i) => ({ name, weight: 1 + (i % 3) }));
  return {
    replicas,
    domains,
    template: {
      containers: [
        { name: 'web', image: 'nginx:1.27', env: [], ports: [], resources: { cpu: '250m', memory: '128Mi' } },
      ],
    },
    policy: {
      targets,
      spread: [
        { topologyKey: 'provider', maxSkew: Math.max(1, Math.ceil(replicas / 10)), whenUnsatisfiable: 'DoNotSchedule' },
        { topologyKey: 'region', maxSkew: Math.max(1, Math.ceil(replicas / 50)), whenUnsatisfiable: 'DoNotSchedule' },
        { topologyKey: 'zone', maxSkew: Math.max(2, Math.ceil(replicas / 5000)), whenUnsatisfiable: 'DoNotSchedule' },
      ],
      optimize: 'spread',
      returnAfterSeconds: 60,
    },
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** What is wrong with a result: broken hard rules, and target totals off their weights. */
function check(req: PlacementRequest, r: PlacementResult): string[] {
  const byKey = new Map(req.domains.map((d) => [`${d.target}/${d.zone}`, d]));
  const ds = r.assignments.map((a) => byKey.get(`${a.target}/${a.zone}`)!);
  const problems = violations(
    ds,
    r.assignments.map((a) => a.replicas),
    req.replicas,
    req.policy,
  );
  const perTarget = new Map<string, number>();
  for (const a of r.assignments) perTarget.set(a.target, (perTarget.get(a.target) ?? 0) + a.replicas);
  const targets = req.policy.targets ?? [];
  const share = divideByStaticWeight(req.replicas, targets);
  const sum = targets.reduce((a, t) => a + (t.weight ?? 1), 0);
  let off = 0;
  for (const t of targets) {
    const got = perTarget.get(t.name) ?? 0;
    const exact = (req.replicas * (t.weight ?? 1)) / sum;
    if (got !== share.get(t.name) || Math.abs(got - exact) >= 1) {
      if (off++ < 5)
        problems.push(
          `${t.name} (weight ${t.weight ?? 1}): ${got} replicas, its weighted share is ${share.get(t.name)} (${exact.toFixed(2)})`,
        );
    }
  }
  if (off > 5) problems.push(`... and ${off - 5} more targets off their weights`);
  return problems;
}

const failures: string[] = [];

function time(req: PlacementRequest, runs: number): number {
  for (let i = 0; i < 2; i++) place(req); // warm-up (JIT)
  const samples: number[] = [];
  let last: PlacementResult | undefined;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    last = place(req);
    samples.push(performance.now() - t0);
  }
  for (const p of check(req, last!)) failures.push(`${req.replicas} replicas: ${p}`);
  return median(samples);
}

const domains = fleet();
const RUNS = 7;
const big = time(request(domains, 1_000_000), RUNS);
const small = time(request(domains, 1_000), RUNS);
const ratio = big / small;
console.log(
  `placement: ${domains.length} domains, 3 spread constraints, ${new Set(domains.map((d) => d.target)).size} weighted targets`,
);
console.log(`  1,000,000 replicas: ${big.toFixed(1)} ms (median of ${RUNS}; target < 100 ms)`);
console.log(`      1,000 replicas: ${small.toFixed(1)} ms (median of ${RUNS})`);
console.log(`  ratio 1M / 1k: ${ratio.toFixed(2)} (target <= 1.5)`);
console.log(
  failures.length
    ? `  checks: ${failures.length} failed\n${failures.map((f) => `    ${f}`).join('\n')}`
    : '  checks: every spread constraint holds and every target gets its weighted share (1M and 1k)',
);
const ok = big < 100 && ratio <= 1.5 && failures.length === 0;
console.log(ok ? 'OK' : 'MISSED');
process.exit(ok ? 0 : 1);
