// bench/sync: seconds from a git commit to the start of convergence (the deployment's desired
// state recorded from that commit) through `skyfleet server`'s sync loop on 127.0.0.1, over a
// memory fleet and a SQLite file store: with the webhook (signed as GitHub signs it, sent right
// after the commit) and with polling at the interval (default 30 s, a commit at a random moment
// of it); and the git commands of passes while nothing changed (counted by an injected runner).
// Gates: webhook p99 <= 1 s; polling max <= interval + 1 s; zero git commands beyond the head
// check while nothing changed.
// Run: npm run bench:sync   (N=20 POLLS=3 INTERVAL=30s IDLE=20)
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryCloud, MemoryProvider } from '../../providers/memory/index.js';
import { memoryTargetSettings } from '../../providers/memory/settings.js';
import { createFleet } from '../../src/fleet.js';
import { createApiServer, listen } from '../../src/server/index.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { gitCli } from '../../src/sync/git-source-reader.js';
import { registerSource } from '../../src/sync/register-source.js';
import { SyncLoop } from '../../src/sync/sync-loop.js';
import { systemClock } from '../../src/util/clock.js';
import { parseDurationMs } from '../../src/util/duration.js';
import { finish, gate } from '../lib/gate.js';

const N = Number(process.env.N ?? 20);
const POLLS = Number(process.env.POLLS ?? 3);
const IDLE = Number(process.env.IDLE ?? 20);
const INTERVAL = process.env.INTERVAL ?? '30s';
const SECRET = 'bench-sync-webhook-secret-0123456789';

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};
const spec = (name: string, image: string) =>
  `apiVersion: skyfleet.dev/v1\nkind: Deployment\nmetadata: { name: ${name} }\nspec:\n  replicas: 1\n  template: { containers: [{ name: ${name}, image: "${image}" }] }\n`;

async function main(): Promise<void> {
  const intervalMs = parseDurationMs(INTERVAL);
  if (!intervalMs) throw new Error(`INTERVAL: expected a duration such as 30s, got ${INTERVAL}`);
  const dir = mkdtempSync(join(tmpdir(), 'skyfleet-bench-sync-'));
  const repo = join(dir, 'repo');
  mkdirSync(repo);
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.email=b@b', '-c', 'user.name=b', '-C', repo, ...args], {
      encoding: 'utf8',
    }).trim();
  git('init', '-q', '-b', 'main');
  let version = 0;
  const commit = (file: string, name: string) => {
    writeFileSync(join(repo, file), spec(name, `img:${++version}`));
    git('add', file);
    git('commit', '-q', '-m', `${name} ${version}`);
    return git('rev-parse', 'HEAD');
  };
  mkdirSync(join(repo, 'hook'));
  mkdirSync(join(repo, 'poll'));
  commit('hook/web.yaml', 'hooked');
  commit('poll/web.yaml', 'polled');

  const store = await SqliteStore.open(join(dir, 'state.db'));
  const provider = new MemoryProvider(
    memoryTargetSettings.parse({ name: 'mem', kind: 'memory', zones: ['a'] }),
    { fleet: 'bench' },
    { cloud: new MemoryCloud() },
  );
  const fleet = createFleet({ name: 'bench', targets: [provider], store });
  const gitCalls: string[] = [];
  const loop = new SyncLoop({
    store,
    fleet,
    clock: systemClock,
    wait: false,
    git: (args) => {
      gitCalls.push(args.find((a) => ['ls-remote', 'ls-tree', 'show', 'fetch'].includes(a)) ?? args[0]!);
      return gitCli(args);
    },
  });
  const ac = new AbortController();
  const api = createApiServer({ fleet, store, sync: loop, rateLimit: { perSecond: 1e9, burst: 1e9 } });
  const server = await listen(api, { host: '127.0.0.1', port: 0 });
  const running = loop.run(ac.signal);
  /** When the deployment's desired state was first seen recorded from `sha` (polled every 2 ms). */
  const recordedFrom = async (name: string, sha: string, deadlineMs: number): Promise<number> => {
    const until = performance.now() + deadlineMs;
    while (performance.now() < until) {
      const rec = await store.getDeployment(name);
      if (rec?.spec.metadata.annotations?.['skyfleet.dev/git-commit'] === sha) return performance.now();
      await new Promise((r) => setTimeout(r, 2));
    }
    throw new Error(`${name} was not recorded from ${sha} within ${deadlineMs} ms`);
  };
  try {
    const now = Date.now();
    await registerSource(store, { name: 'hook', repo, path: 'hook', interval: '24h', webhookSecret: SECRET }, now);
    await registerSource(store, { name: 'poll', repo, path: 'poll', interval: INTERVAL }, now);
    await loop.trigger('hook');
    await loop.trigger('poll');

    // webhook: commit, then the push event right away
    const hookMs: number[] = [];
    for (let i = 0; i < N; i++) {
      const sha = commit('hook/web.yaml', 'hooked');
      const t = performance.now();
      const body = JSON.stringify({ ref: 'refs/heads/main', after: sha });
      const res = await fetch(`${server.url}/api/v1/sources/hook/webhook`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`,
        },
        body,
      });
      if (res.status !== 202) throw new Error(`webhook answered ${res.status}: ${await res.text()}`);
      hookMs.push((await recordedFrom('hooked', sha, 10_000)) - t);
    }

    // polling: a commit at a random moment of the interval
    const pollMs: number[] = [];
    for (let i = 0; i < POLLS; i++) {
      await new Promise((r) => setTimeout(r, Math.random() * intervalMs));
      const sha = commit('poll/web.yaml', 'polled');
      const t = performance.now();
      pollMs.push((await recordedFrom('polled', sha, intervalMs + 10_000)) - t);
    }

    // nothing changed: IDLE passes of each source, git commands counted (each source first catches
    // up with the branch's head, which the other source's commits moved)
    await loop.trigger('hook');
    await loop.trigger('poll');
    gitCalls.length = 0;
    for (let i = 0; i < IDLE; i++) {
      await loop.trigger('hook');
      await loop.trigger('poll');
    }
    const heads = gitCalls.filter((c) => c === 'ls-remote').length;
    const beyond = gitCalls.length - heads;

    console.log(
      `webhook, commit to convergence start: p50 ${(pct(hookMs, 50) / 1000).toFixed(3)} s, p99 ${(pct(hookMs, 99) / 1000).toFixed(3)} s (${N} commits)`,
    );
    console.log(
      `polling every ${INTERVAL}, commit to convergence start: p50 ${(pct(pollMs, 50) / 1000).toFixed(3)} s, max ${(Math.max(...pollMs) / 1000).toFixed(3)} s (${POLLS} commits)`,
    );
    console.log(`idle: ${IDLE * 2} passes ran ${heads} head checks and ${beyond} other git commands`);
    finish([
      gate('webhook p99 / 1 s', pct(hookMs, 99) / 1000, 1),
      gate(`polling max / (${INTERVAL} + 1 s)`, Math.max(...pollMs) / (intervalMs + 1000), 1),
      gate('idle git commands beyond the head check', beyond, 0),
    ]);
  } finally {
    ac.abort();
    await running;
    await server.close();
    api.close();
    await fleet.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
