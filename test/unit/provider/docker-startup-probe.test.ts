import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replicaState, toHealthcheck } from '../../../providers/docker/mapping.js';
import { runStartupCheck, startKey, startupTargetOf } from '../../../providers/docker/startup-check.js';
import { StartupProber, type StartupTarget } from '../../../providers/docker/startup-probe.js';
import { container as containerSpec, type Probe, probe as probeSchema } from '../../../src/spec/deployment.js';
import { ManualClock } from '../../../src/util/clock.js';

/** Lets pending promise callbacks run (the prober's loop is a chain of them). */
async function settleMicrotasks(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

function target(over: Partial<StartupTarget> = {}): StartupTarget {
  return {
    key: 'c1@2026-12-04T00:00:00Z',
    containerId: 'c1',
    deployment: 'web',
    zone: 'z',
    check: { kind: 'http', host: '127.0.0.1', port: 1, path: '/', https: false, headers: {} },
    initialDelayMs: 0,
    periodMs: 1000,
    timeoutMs: 1000,
    failureThreshold: 3,
    ...over,
  };
}

describe('StartupProber', () => {
  function harness(answers: boolean[]) {
    const clock = new ManualClock(0);
    const calls: number[] = [];
    const ready: string[] = [];
    const prober = new StartupProber({
      clock,
      probe: async () => {
        calls.push(clock.now());
        return answers.shift() ?? false;
      },
      onReady: (t) => ready.push(t.key),
    });
    return { clock, calls, ready, prober };
  }

  async function advance(clock: ManualClock, ms: number, step = 10): Promise<void> {
    for (let t = 0; t < ms; t += step) {
      clock.advance(step);
      await settleMicrotasks();
    }
  }

  it('probes at once, then every 100 ms growing to 500 ms, until the first success', async () => {
    const h = harness([false, false, false, false, false, true]);
    h.prober.track(target());
    await settleMicrotasks();
    expect(h.calls).toEqual([0]); // at once, not one period later
    await advance(h.clock, 2000);
    // gaps 100, 150, 225, 338, 500 (then the sixth answer passes)
    expect(h.calls).toEqual([0, 100, 250, 480, 820, 1320]);
    expect(h.ready).toEqual(['c1@2026-12-04T00:00:00Z']);
    expect(h.prober.passed('c1', 'c1@2026-12-04T00:00:00Z')).toBe(true);
    expect(h.prober.probing('c1')).toBe(false);
  });

  it('a pass belongs to one start: a restart of the same container is not ready', async () => {
    const h = harness([true]);
    h.prober.track(target());
    await settleMicrotasks();
    expect(h.prober.passed('c1', 'c1@2026-12-04T00:00:00Z')).toBe(true);
    expect(h.prober.passed('c1', 'c1@2026-12-04T00:05:00Z')).toBe(false);
    // tracking the same start again probes nothing more
    h.prober.track(target());
    await settleMicrotasks();
    expect(h.calls).toHaveLength(1);
  });

  it("gives up once Docker's own checks have had failureThreshold + 1 periods", async () => {
    const h = harness([]);
    h.prober.track(target({ periodMs: 1000, failureThreshold: 2 }));
    await advance(h.clock, 6000);
    expect(h.ready).toEqual([]);
    expect(h.prober.probing('c1')).toBe(false);
    expect(Math.max(...h.calls)).toBeGreaterThanOrEqual(2500);
    expect(Math.max(...h.calls)).toBeLessThanOrEqual(3000 + 500);
  });

  it('waits initialDelaySeconds before the first probe', async () => {
    const h = harness([true]);
    h.prober.track(target({ initialDelayMs: 700 }));
    await advance(h.clock, 690);
    expect(h.calls).toEqual([]);
    await advance(h.clock, 20);
    expect(h.calls).toEqual([700]);
  });

  it('checkNow gives a verdict at once (another process started the container) and a pass ends the loop', async () => {
    const h = harness([false, true]);
    const t = target();
    h.prober.track(t);
    await settleMicrotasks();
    expect(h.calls).toEqual([0]); // the loop's first probe failed
    expect(await h.prober.checkNow(t)).toBe(true); // the second answer passes
    expect(h.prober.passed('c1', t.key)).toBe(true);
    expect(h.ready).toEqual([t.key]);
    expect(h.prober.probing('c1')).toBe(false);
    await advance(h.clock, 2000);
    expect(h.calls).toHaveLength(2); // no probe after the pass
    expect(await h.prober.checkNow(t)).toBe(true); // remembered: no probe
    expect(h.calls).toHaveLength(2);
  });

  it('forget stops the probes; close stops them all', async () => {
    const h = harness([]);
    h.prober.track(target());
    h.prober.track(target({ containerId: 'c2', key: 'c2@x' }));
    await settleMicrotasks();
    h.prober.forget('c1');
    expect(h.prober.probing('c1')).toBe(false);
    expect(h.prober.probing('c2')).toBe(true);
    h.prober.close();
    const n = h.calls.length;
    await advance(h.clock, 2000);
    expect(h.calls).toHaveLength(n);
    expect(h.ready).toEqual([]);
  });
});

/** An inspect result for a running container whose health check has not run yet. */
function inspected(p: Probe, over: { health?: string; running?: boolean } = {}): Docker.ContainerInspectInfo {
  const c = containerSpec.parse({ name: 'web', image: 'x', ports: [{ containerPort: 8080 }], readinessProbe: p });
  const issues: never[] = [];
  return {
    Id: 'abc',
    Name: '/sf.web.0',
    RestartCount: 0,
    State: {
      Status: 'running',
      Running: over.running ?? true,
      Paused: false,
      StartedAt: '2026-12-04T10:00:00.1Z',
      Health: { Status: over.health ?? 'starting', FailingStreak: 0, Log: [] },
    },
    Config: {
      Labels: { 'skyfleet.dev/deployment': 'web', 'skyfleet.dev/domain': 'z1' },
      Healthcheck: toHealthcheck(c, probeSchema.parse(p), 'readinessProbe', issues),
    },
    HostConfig: { PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
    NetworkSettings: { Ports: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '49153' }] } },
  } as unknown as Docker.ContainerInspectInfo;
}

describe('startupTargetOf', () => {
  it('an httpGet probe is an HTTP GET to the published port, with its path, headers and timing', () => {
    const t = startupTargetOf(
      inspected({
        httpGet: { path: '/ready', port: 8080, httpHeaders: [{ name: 'X-Probe', value: 'yes' }] },
        periodSeconds: 2,
        timeoutSeconds: 1,
        failureThreshold: 4,
        initialDelaySeconds: 3,
      } as Probe),
      '127.0.0.1',
    );
    expect(t).toMatchObject({
      key: 'abc@2026-12-04T10:00:00.1Z',
      containerId: 'abc',
      deployment: 'web',
      zone: 'z1',
      check: {
        kind: 'http',
        host: '127.0.0.1',
        port: 49153,
        path: '/ready',
        https: false,
        headers: { 'X-Probe': 'yes' },
      },
      initialDelayMs: 3000,
      periodMs: 2000,
      timeoutMs: 1000,
      failureThreshold: 4,
    });
  });

  it('tcpSocket and exec probes run their HEALTHCHECK command in the container', () => {
    expect(startupTargetOf(inspected({ tcpSocket: { port: 8080 } } as Probe), '127.0.0.1')?.check).toEqual({
      kind: 'exec',
      command: ['nc', '-w', '1', '127.0.0.1', '8080'],
    });
    expect(startupTargetOf(inspected({ exec: { command: ['cat', '/ok'] } } as Probe), '127.0.0.1')?.check).toEqual({
      kind: 'exec',
      command: ['cat', '/ok'],
    });
  });

  it('nothing to probe once Docker has decided, or when the container is not running', () => {
    const p = { httpGet: { path: '/', port: 8080 } } as Probe;
    expect(startupTargetOf(inspected(p, { health: 'healthy' }), '127.0.0.1')).toBeUndefined();
    expect(startupTargetOf(inspected(p, { health: 'unhealthy' }), '127.0.0.1')).toBeUndefined();
    expect(startupTargetOf(inspected(p, { running: false }), '127.0.0.1')).toBeUndefined();
  });

  it('a passed first probe makes a starting replica ready, never an unhealthy one', () => {
    const p = { httpGet: { path: '/', port: 8080 } } as Probe;
    expect(replicaState(inspected(p))).toMatchObject({ state: 'starting', ready: false });
    expect(replicaState(inspected(p), true)).toMatchObject({ state: 'ready', ready: true });
    expect(replicaState(inspected(p, { health: 'unhealthy' }), true)).toMatchObject({ state: 'unhealthy' });
    expect(startKey(inspected(p))).toBe('abc@2026-12-04T10:00:00.1Z');
  });
});

describe('runStartupCheck over HTTP', () => {
  let server: http.Server;
  let port = 0;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/ok') res.writeHead(200).end('ok');
      else if (req.url === '/moved') res.writeHead(302, { location: '/ok' }).end();
      else if (req.url === '/hang')
        return; // never answers
      else if (req.url === '/hdr') res.writeHead(req.headers['x-probe'] === 'yes' ? 200 : 400).end();
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  const noDocker = () => Promise.reject(new Error('no engine needed'));
  const check = (path: string, headers: Record<string, string> = {}, p = port) =>
    runStartupCheck(
      noDocker,
      target({ check: { kind: 'http', host: '127.0.0.1', port: p, path, https: false, headers } }),
      300,
      new AbortController().signal,
    );

  it('2xx and 3xx pass; 4xx, no answer in time and a refused connection fail', async () => {
    expect(await check('/ok')).toBe(true);
    expect(await check('/moved')).toBe(true);
    expect(await check('/missing')).toBe(false);
    expect(await check('/hang')).toBe(false);
    expect(await check('/hdr', { 'x-probe': 'yes' })).toBe(true);
    expect(await check('/hdr')).toBe(false);
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const freePort = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    expect(await check('/ok', {}, freePort)).toBe(false);
  });
});
