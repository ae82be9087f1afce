import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCKER_LABELS, DockerProvider, dockerTargetSettings, toCreateOptions } from '../../providers/docker/index.js';
import { ProviderError } from '../../src/errors/provider-error.js';
import { ValidationError } from '../../src/errors/validation-error.js';
import { LABELS } from '../../src/provider/labels.js';
import type { DesiredSlice, ObservedSlice, ProviderChange, SliceKey } from '../../src/provider/provider.js';
import { type PodTemplate, podTemplate } from '../../src/spec/deployment.js';
import {
  cleanupRun,
  containersWith,
  DOCKER_POLL,
  ensureWebImage,
  newTestRun,
  testDocker,
} from '../helpers/docker/index.js';
import { eventually } from '../helpers/eventually.js';

const run = newTestRun();
const FLEET = run.fleet('prov');
let docker: Docker;
let image1: string;
let image2: string;
const providers: DockerProvider[] = [];

function provider(name = 'dk-a', fleet = FLEET): DockerProvider {
  const p = new DockerProvider(dockerTargetSettings.parse({ name, kind: 'docker', concurrency: 4 }), { fleet });
  providers.push(p);
  return p;
}

function template(image: string, extra: Record<string, unknown> = {}): PodTemplate {
  return podTemplate.parse({
    containers: [
      {
        name: 'web',
        image,
        ports: [{ name: 'http', containerPort: 8080 }],
        readinessProbe: {
          httpGet: { path: '/', port: 8080 },
          periodSeconds: 1,
          timeoutSeconds: 1,
          failureThreshold: 3,
        },
        ...extra,
      },
    ],
  });
}

function slice(key: Partial<SliceKey> & { deployment: string }, replicas: number, tpl: PodTemplate): DesiredSlice {
  return {
    key: { fleet: FLEET, revision: 'r1', zone: 'dk-a', ...key },
    replicas,
    template: tpl,
    labels: { ...run.labels, team: 'skyfleet' },
  };
}

async function observeOne(p: DockerProvider, deployment: string, fleet = FLEET): Promise<ObservedSlice | undefined> {
  return (await p.observe({ fleet, deployment }))[0];
}

/** Waits until the slice has exactly `n` replicas, all ready. */
async function readySlice(
  p: DockerProvider,
  deployment: string,
  n: number,
  timeoutMs = 30_000,
): Promise<ObservedSlice> {
  return eventually(
    async () => {
      const s = await observeOne(p, deployment);
      return s && s.replicas === n && s.ready === n ? s : false;
    },
    { ...DOCKER_POLL, message: `${n} ready replicas of ${deployment}`, timeoutMs },
  );
}

/** Docker events for a label within [fromMs, toMs] (wall clock of this machine = the engine's). */
async function eventsBetween(
  label: string,
  fromMs: number,
  toMs: number,
): Promise<Array<{ Action: string; time: number }>> {
  const stream = (await docker.getEvents({
    since: Math.floor(fromMs / 1000),
    until: Math.floor(toMs / 1000) + 1,
    filters: { type: ['container'], label: [label] },
  })) as NodeJS.ReadableStream;
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { Action: string; time: number; timeNano: number })
    .filter((e) => e.timeNano >= fromMs * 1e6 && e.timeNano <= toMs * 1e6);
}

async function httpGet(host: string, port: number): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://${host}:${port}/`, { signal: AbortSignal.timeout(5000) });
  return { status: res.status, body: await res.text() };
}

beforeAll(async () => {
  docker = await testDocker();
  [image1, image2] = await Promise.all([ensureWebImage(docker, '1'), ensureWebImage(docker, '2')]);
});

afterAll(async () => {
  for (const p of providers) await p.close();
  await cleanupRun(docker, run);
  expect(await containersWith(docker, run.filter)).toEqual([]);
});

describe('DockerProvider against the real engine', () => {
  it('describes its topology and capabilities', () => {
    const d = provider('dk-a').describe();
    expect(d).toMatchObject({
      target: 'dk-a',
      kind: 'docker',
      topology: { provider: 'docker', region: 'local', zones: ['dk-a'] },
      capabilities: { probes: ['httpGet', 'tcpSocket', 'exec'], nativeTrafficSplit: false, maxContainers: 1 },
    });
    expect(d.capabilities.maxPorts).toBeGreaterThan(100);
  });

  it('observes nothing for a fleet with nothing', async () => {
    expect(await provider().observe({ fleet: FLEET, deployment: 'nothing' })).toEqual([]);
  });

  it('applies 3 replicas that become ready and answer HTTP 200; a re-apply makes no write and no event', async () => {
    const p = provider();
    const s = slice({ deployment: 'web' }, 3, template(image1));
    const t0 = Date.now();
    const first = await p.apply(s);
    expect(first).toEqual({ changed: true, writes: 6 }); // 3 creates + 3 starts
    const observed = await readySlice(p, 'web', 3);
    expect(observed).toMatchObject({
      key: { fleet: FLEET, deployment: 'web', revision: 'r1', zone: 'dk-a' },
      target: 'dk-a',
      revision: 'r1',
    });
    expect(observed.replicaStatus.map((r) => r.ordinal)).toEqual([0, 1, 2]);
    for (const r of observed.replicaStatus) {
      expect(r).toMatchObject({ state: 'ready', ready: true, drifted: false, restarts: 0 });
      expect(r.name).toBe(`sf.${FLEET}.web.dk-a.r1.${r.ordinal}`);
      expect(r.endpoints).toHaveLength(1);
      const ep = r.endpoints[0]!;
      expect(ep).toMatchObject({ host: '127.0.0.1', containerPort: 8080, portName: 'http' });
      const res = await httpGet(ep.host, ep.port);
      expect(res.status).toBe(200);
      expect(res.body).toContain('skyfleet test web 1');
    }
    const t1 = Date.now();
    const made = await eventsBetween(`${LABELS.fleet}=${FLEET}`, t0, t1);
    expect(made.filter((e) => e.Action === 'create')).toHaveLength(3);
    expect(made.filter((e) => e.Action === 'start')).toHaveLength(3);

    // labels: identity, user labels, and no secret anywhere
    const list = await containersWith(docker, `${LABELS.fleet}=${FLEET}`, `${LABELS.deployment}=web`);
    expect(list).toHaveLength(3);
    for (const c of list) {
      expect(c.Labels).toMatchObject({
        [LABELS.managedBy]: 'skyfleet',
        [LABELS.fleet]: FLEET,
        [LABELS.deployment]: 'web',
        [LABELS.revision]: 'r1',
        [LABELS.target]: 'dk-a',
        [LABELS.domain]: 'dk-a',
        team: 'skyfleet',
        [run.filter.split('=')[0]!]: run.id,
      });
      expect(c.Labels[DOCKER_LABELS.configHash]).toMatch(/^[0-9a-f]{16}$/);
    }

    const t2 = Date.now();
    expect(await p.apply(s)).toEqual({ changed: false, writes: 0 });
    const t3 = Date.now();
    const during = await eventsBetween(`${LABELS.fleet}=${FLEET}`, t2, t3);
    expect(during.filter((e) => ['create', 'start', 'destroy', 'die', 'kill', 'stop'].includes(e.Action))).toEqual([]);
  });

  it('a new provider instance observes what an earlier one made and re-applying through it writes nothing', async () => {
    const before = await observeOne(provider(), 'web');
    const p2 = provider();
    const after = await observeOne(p2, 'web');
    expect(after?.replicaStatus.map((r) => r.id)).toEqual(before?.replicaStatus.map((r) => r.id));
    expect(await p2.apply(slice({ deployment: 'web' }, 3, template(image1)))).toEqual({ changed: false, writes: 0 });
  });

  it('scales 3 -> 5 -> 2 (new ordinals smallest first, highest removed first)', async () => {
    const p = provider();
    const tpl = template(image1);
    expect(await p.apply(slice({ deployment: 'web' }, 5, tpl))).toEqual({ changed: true, writes: 4 });
    const five = await readySlice(p, 'web', 5);
    expect(five.replicaStatus.map((r) => r.ordinal)).toEqual([0, 1, 2, 3, 4]);
    const ids = new Map(five.replicaStatus.map((r) => [r.ordinal, r.id]));
    expect(await p.apply(slice({ deployment: 'web' }, 2, tpl))).toEqual({ changed: true, writes: 3 });
    const two = await readySlice(p, 'web', 2);
    expect(two.replicaStatus.map((r) => [r.ordinal, r.id])).toEqual([
      [0, ids.get(0)],
      [1, ids.get(1)],
    ]);
    expect(await p.apply(slice({ deployment: 'web' }, 2, tpl))).toEqual({ changed: false, writes: 0 });
  });

  it('reports a stopped container as stopped; apply replaces it', async () => {
    const p = provider();
    const before = await readySlice(p, 'web', 2);
    const victim = before.replicaStatus[1]!;
    await docker.getContainer(victim.id).stop({ t: 5 });
    const s = await observeOne(p, 'web');
    const stopped = s?.replicaStatus.find((r) => r.id === victim.id);
    expect(stopped).toMatchObject({ state: 'stopped', ready: false, endpoints: [] });
    expect(stopped?.message).toMatch(/exited with code/);
    expect(s?.ready).toBe(1);
    expect(await p.apply(slice({ deployment: 'web' }, 2, template(image1)))).toEqual({ changed: true, writes: 3 });
    const after = await readySlice(p, 'web', 2);
    expect(after.replicaStatus.map((r) => r.ordinal)).toEqual([0, 1]);
    expect(after.replicaStatus.map((r) => r.id)).not.toContain(victim.id);
  });

  it('reports drift (a container changed behind its back) and apply replaces it', async () => {
    const p = provider();
    const before = await readySlice(p, 'web', 2);
    const victim = before.replicaStatus[0]!;
    await docker.getContainer(victim.id).update({ RestartPolicy: { Name: 'no' } });
    const s = await observeOne(p, 'web');
    expect(s?.replicaStatus.find((r) => r.id === victim.id)?.drifted).toBe(true);
    expect(s?.replicaStatus.find((r) => r.id !== victim.id)?.drifted).toBe(false);
    expect(await p.apply(slice({ deployment: 'web' }, 2, template(image1)))).toEqual({ changed: true, writes: 3 });
    const after = await readySlice(p, 'web', 2);
    expect(after.replicaStatus.every((r) => !r.drifted)).toBe(true);
    expect(after.replicaStatus.map((r) => r.id)).not.toContain(victim.id);
  });

  it('watch reports a die after docker kill; the killed replica is stopped and apply replaces it', async () => {
    const p = provider();
    const w = slice({ deployment: 'watched' }, 1, template(image1));
    await p.apply(w);
    const s = await readySlice(p, 'watched', 1);
    const changes: ProviderChange[] = [];
    const stop = p.watch({ fleet: FLEET, deployment: 'watched' }, (c) => changes.push(c));
    const other: ProviderChange[] = [];
    const stopOther = provider('dk-b').watch({ fleet: FLEET }, (c) => other.push(c));
    try {
      await docker.getContainer(s.replicaStatus[0]!.id).kill({ signal: 'SIGKILL' });
      const die = await eventually(async () => changes.find((c) => c.reason === 'die') ?? false, {
        message: 'a die event',
        timeoutMs: 15_000,
        intervalMs: 50,
      });
      expect(die).toEqual({ reason: 'die', deployment: 'watched', zone: 'dk-a' });
    } finally {
      stop();
      stopOther();
    }
    expect(other).toEqual([]); // another target's watch does not see this target's containers
    // killed by hand: Docker does not restart it (unless-stopped); observe says stopped, apply replaces it
    const killed = await eventually(
      async () => {
        const o = await observeOne(p, 'watched');
        return o?.replicaStatus.find((r) => r.state === 'stopped') ?? false;
      },
      { ...DOCKER_POLL, message: 'the killed replica to be stopped' },
    );
    expect(killed.message).toMatch(/exited with code 137/);
    expect(await p.apply(w)).toEqual({ changed: true, writes: 3 });
    await readySlice(p, 'watched', 1);
    expect((await p.remove(w.key)).changed).toBe(true);
  });

  it('two targets on the same engine do not see each other', async () => {
    const a = provider('dk-a');
    const b = provider('dk-b');
    const tpl = template(image2);
    await b.apply(slice({ deployment: 'web', zone: 'dk-b' }, 1, tpl));
    const bs = await eventually(
      async () => {
        const x = await b.observe({ fleet: FLEET });
        return x.length === 1 && x[0]?.ready === 1 ? x : false;
      },
      { ...DOCKER_POLL, message: 'b ready' },
    );
    expect(bs[0]).toMatchObject({ target: 'dk-b', key: { zone: 'dk-b', deployment: 'web' }, replicas: 1 });
    const ep = bs[0]!.replicaStatus[0]!.endpoints[0]!;
    expect((await httpGet(ep.host, ep.port)).body).toContain('skyfleet test web 2');
    const as = await a.observe({ fleet: FLEET });
    expect(as.map((x) => [x.target, x.key.zone, x.replicas])).toEqual([['dk-a', 'dk-a', 2]]);
    // removing a's slice leaves b's alone, and the other way round
    const aKey = { fleet: FLEET, deployment: 'web', revision: 'r1', zone: 'dk-a' };
    expect(await b.remove(aKey)).toEqual({ changed: false, writes: 0 });
    expect((await b.remove({ ...aKey, zone: 'dk-b' })).writes).toBe(1);
    expect(await b.observe({ fleet: FLEET })).toEqual([]);
    expect((await a.observe({ fleet: FLEET }))[0]?.replicas).toBe(2);
  });

  it('remove deletes every container of the slice; removing again succeeds with no change', async () => {
    const p = provider();
    const key = { fleet: FLEET, deployment: 'web', revision: 'r1', zone: 'dk-a' };
    expect(await p.remove(key)).toEqual({ changed: true, writes: 2 });
    expect(await containersWith(docker, `${LABELS.fleet}=${FLEET}`, `${LABELS.deployment}=web`)).toEqual([]);
    expect(await p.observe({ fleet: FLEET })).toEqual([]);
    expect(await p.remove(key)).toEqual({ changed: false, writes: 0 });
    expect(await p.remove({ ...key, deployment: 'never-was' })).toEqual({ changed: false, writes: 0 });
  });

  it('an image that does not exist is a terminal ProviderError naming it, and nothing is left', async () => {
    const p = provider();
    const missing = `skyfleet-test/does-not-exist:${run.id}`;
    const err = await p.apply(slice({ deployment: 'ghost' }, 2, template(missing))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).retryable).toBe(false);
    expect((err as ProviderError).provider).toBe('docker');
    expect((err as ProviderError).target).toBe('dk-a');
    expect((err as ProviderError).message).toContain(`image "${missing}" does not exist`);
    expect(await containersWith(docker, `${LABELS.fleet}=${FLEET}`, `${LABELS.deployment}=ghost`)).toEqual([]);
  });

  it('rejects a multi-container template with a ValidationError naming the field, making nothing', async () => {
    const p = provider();
    const tpl = podTemplate.parse({
      containers: [
        { name: 'a', image: image1 },
        { name: 'b', image: image1 },
      ],
    });
    const err = await p.apply(slice({ deployment: 'pod' }, 1, tpl)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues[0]?.path).toBe('spec.template.containers');
    expect((err as ValidationError).message).toMatch(/single-container/);
    expect(await containersWith(docker, `${LABELS.fleet}=${FLEET}`, `${LABELS.deployment}=pod`)).toEqual([]);
  });

  it('passes secrets as env only (never in labels), runs a template without a probe as ready when running', async () => {
    const p = provider();
    const secret = `s3cr3t-${run.id}`;
    const tpl = podTemplate.parse({
      containers: [
        {
          name: 'web',
          image: image1,
          env: [
            { name: 'MODE', value: 'test' },
            { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'api', key: 'token' } } },
          ],
          ports: [{ containerPort: 8080 }],
        },
      ],
    });
    const s = { ...slice({ deployment: 'sec' }, 1, tpl), secrets: { TOKEN: secret } };
    await p.apply(s);
    const o = await readySlice(p, 'sec', 1);
    const info = await docker.getContainer(o.replicaStatus[0]!.id).inspect();
    expect(info.Config.Env).toEqual(expect.arrayContaining(['MODE=test', `TOKEN=${secret}`]));
    expect(JSON.stringify(info.Config.Labels)).not.toContain(secret);
    expect(info.Config.Healthcheck?.Test).toEqual(['NONE']);
    expect(JSON.stringify(o)).not.toContain(secret);
    // a missing secret value is a ValidationError that does not leak anything
    const err = await p.apply({ ...s, secrets: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect(await p.apply(s)).toEqual({ changed: false, writes: 0 });
    expect((await p.remove(s.key)).changed).toBe(true);
  });

  it('reuses or replaces a container that already has the deterministic name, and never takes a foreign one', async () => {
    const p = provider();
    const s = slice({ deployment: 'crash' }, 1, template(image1));
    const opts = toCreateOptions(s, 0, { target: 'dk-a', zone: 'dk-a', publishAddress: '127.0.0.1' });
    // a crash between create and start: the container exists, created but not started
    await docker.createContainer(opts);
    expect(await p.apply(s)).toEqual({ changed: true, writes: 1 }); // just the start
    await readySlice(p, 'crash', 1);
    await p.remove(s.key);

    // a skyfleet container of this fleet and target with that name but other labels: replaced
    const labels = { ...opts.Labels };
    delete labels[LABELS.deployment];
    await docker.createContainer({ ...opts, Labels: labels });
    const r = await p.apply(s);
    expect(r.changed).toBe(true);
    await readySlice(p, 'crash', 1);
    await p.remove(s.key);
    expect(await containersWith(docker, `name=${opts.name}`)).toEqual([]);

    // a container skyfleet does not manage: a terminal conflict, and it is left alone
    const foreign = await docker.createContainer({ name: opts.name, Image: image1, Labels: { ...run.labels } });
    const err = await p.apply(s).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).retryable).toBe(false);
    expect((err as ProviderError).message).toMatch(/in use by a container skyfleet does not manage/);
    expect((await foreign.inspect()).Id).toBe(foreign.id);
    await foreign.remove({ force: true });
  });
});
