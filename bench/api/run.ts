// bench/api: the API server on 127.0.0.1 over a memory fleet and a SQLite file store (the
// controller not running): p50/p99 of GET /api/v1/deployments/NAME and of a no-change apply (PUT
// of the stored spec), GET requests per second at 16 concurrent clients, and watch delivery
// latency (a scale's response to its SSE change arriving at a watching client).
// Gates: no-change apply p99 <= 20 ms, watch p99 <= 100 ms, get >= 2000 rps.
// Run: npm run bench:api   (N=300 SECONDS=3)
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryCloud, MemoryProvider } from '../../providers/memory/index.js';
import { memoryTargetSettings } from '../../providers/memory/settings.js';
import { createFleet } from '../../src/fleet.js';
import { connectFleet } from '../../src/remote/index.js';
import { createApiServer, listen } from '../../src/server/index.js';
import { createApiToken } from '../../src/server/tokens.js';
import type { DeploymentInput } from '../../src/spec/deployment.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { finish, gate } from '../lib/gate.js';

const N = Number(process.env.N ?? 300);
const SECONDS = Number(process.env.SECONDS ?? 3);

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'skyfleet-bench-api-'));
  const store = await SqliteStore.open(join(dir, 'state.db'));
  const provider = new MemoryProvider(
    memoryTargetSettings.parse({ name: 'mem', kind: 'memory', zones: ['a'] }),
    { fleet: 'bench' },
    { cloud: new MemoryCloud() },
  );
  const fleet = createFleet({ name: 'bench', targets: [provider], store });
  const api = createApiServer({ fleet, store, rateLimit: { perSecond: 1e9, burst: 1e9 }, feedPollMs: 10 });
  const server = await listen(api, { host: '127.0.0.1', port: 0 });
  const { token } = await createApiToken(store, { role: 'admin', now: Date.now() });
  const remote = await connectFleet({ server: server.url, token });
  const doc: DeploymentInput = {
    apiVersion: 'skyfleet.dev/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: {
      replicas: 2,
      template: { containers: [{ name: 'web', image: 'img:1', ports: [{ containerPort: 8080 }] }] },
    },
  };
  try {
    await remote.apply(doc);
    const agent = new Agent({ keepAlive: true, maxSockets: 64 });
    const get = () =>
      new Promise<void>((resolve, reject) => {
        const req = request(
          `${server.url}/api/v1/deployments/web`,
          { agent, headers: { authorization: `Bearer ${token}` } },
          (res) => {
            res.resume();
            res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
          },
        );
        req.on('error', reject);
        req.end();
      });
    const getMs: number[] = [];
    for (let i = 0; i < N; i++) {
      const t = performance.now();
      await get();
      getMs.push(performance.now() - t);
    }
    const applyMs: number[] = [];
    for (let i = 0; i < N; i++) {
      const t = performance.now();
      await remote.apply(doc, { wait: false });
      applyMs.push(performance.now() - t);
    }
    let done = 0;
    const until = performance.now() + SECONDS * 1000;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (performance.now() < until) {
          await get();
          done++;
        }
      }),
    );
    const rps = done / SECONDS;
    // watch: the time from a write's answer to its change at a watching client
    const watchMs: number[] = [];
    const ac = new AbortController();
    let pending: { rv: number; at: number } | undefined;
    const arrived = new Map<number, number>();
    let opened: () => void = () => {};
    const open = new Promise<void>((r) => {
      opened = r;
    });
    const { resourceVersion } = await remote.listWithVersion();
    const watching = remote.watch('deployments', {
      from: resourceVersion,
      signal: ac.signal,
      onOpen: () => opened(),
      onEvent: (e) => arrived.set(e.resourceVersion, performance.now()),
    });
    await open;
    for (let i = 0; i < Math.min(N, 100); i++) {
      const before = performance.now();
      const res = (await remote.scale('web', 2 + (i % 2) + 1, { wait: false })) as { resourceVersion?: number };
      pending = { rv: res.resourceVersion ?? 0, at: before };
      while (!arrived.has(pending.rv)) await new Promise((r) => setTimeout(r, 1));
      watchMs.push(arrived.get(pending.rv)! - pending.at);
    }
    ac.abort();
    await watching;
    agent.destroy();
    console.log(`get: p50 ${pct(getMs, 50).toFixed(2)} ms, p99 ${pct(getMs, 99).toFixed(2)} ms`);
    console.log(`no-change apply: p50 ${pct(applyMs, 50).toFixed(2)} ms, p99 ${pct(applyMs, 99).toFixed(2)} ms`);
    console.log(`get at 16 clients: ${rps.toFixed(0)} rps`);
    console.log(
      `watch delivery (write start to event): p50 ${pct(watchMs, 50).toFixed(2)} ms, p99 ${pct(watchMs, 99).toFixed(2)} ms`,
    );
    finish([
      gate('no-change apply p99 / 20 ms', pct(applyMs, 99) / 20, 1),
      gate('watch p99 / 100 ms', pct(watchMs, 99) / 100, 1),
      gate('2000 rps / get rps', 2000 / rps, 1),
    ]);
  } finally {
    await remote.close();
    await server.close();
    await fleet.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
