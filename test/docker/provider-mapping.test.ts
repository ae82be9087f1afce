import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { followEvents } from '../../providers/docker/events.js';
import {
  containerName,
  createConfigHash,
  DOCKER_LABELS,
  replicaState,
  toCreateOptions,
  withDefaultTag,
} from '../../providers/docker/index.js';
import { toProviderError } from '../../providers/docker/errors.js';
import { ProviderError } from '../../src/errors/provider-error.js';
import { ValidationError } from '../../src/errors/validation-error.js';
import type { DesiredSlice } from '../../src/provider/provider.js';
import { podTemplate } from '../../src/spec/deployment.js';
import { DOCKER_POLL } from '../helpers/docker/run.js';
import { eventually } from '../helpers/eventually.js';

const ctx = { target: 'local', zone: 'local', publishAddress: '127.0.0.1' };

function slice(container: Record<string, unknown>, extra: Partial<DesiredSlice> = {}): DesiredSlice {
  return {
    key: { fleet: 'f', deployment: 'web', revision: 'abc123', zone: 'local' },
    replicas: 1,
    template: podTemplate.parse({ containers: [{ name: 'web', image: 'hello/web:1', ...container }] }),
    ...extra,
  };
}

function modemError(status: number, message: string) {
  return Object.assign(new Error(`(HTTP code ${status}) unexpected - ${message} `), {
    statusCode: status,
    json: { message },
  });
}

describe('docker mapping', () => {
  it('names containers deterministically, keeping parts apart', () => {
    const key = { fleet: 'a-b', deployment: 'c', revision: 'r1', zone: 'z' };
    expect(containerName(key, 't', 0)).toBe('sf.a-b.c.t.r1.0');
    expect(containerName({ ...key, fleet: 'a', deployment: 'b-c' }, 't', 0)).not.toBe(containerName(key, 't', 0));
    expect(containerName({ ...key, revision: 'Weird/Rev' }, 't', 3)).toMatch(
      /^sf\.a-b\.c\.t\.weird-rev-[0-9a-f]{6}\.3$/,
    );
  });

  it('maps image, command, args, env, ports, resources, probe and labels', () => {
    const s = slice(
      {
        command: ['sh', '-c'],
        args: ['echo hi'],
        env: [
          { name: 'A', value: '1' },
          { name: 'S', valueFrom: { secretKeyRef: { name: 'x', key: 'y' } } },
        ],
        ports: [
          { name: 'http', containerPort: 8080 },
          { containerPort: 53, protocol: 'UDP' },
        ],
        resources: { cpu: '250m', memory: '64Mi' },
        readinessProbe: {
          httpGet: { path: '/healthz', port: 'http', httpHeaders: [{ name: 'X-A', value: 'b' }] },
          initialDelaySeconds: 2,
          periodSeconds: 5,
          timeoutSeconds: 4,
          failureThreshold: 5,
        },
      },
      { secrets: { S: 'hunter22' }, labels: { team: 'shop', 'skyfleet.dev/fleet': 'spoofed' } },
    );
    const o = toCreateOptions(s, 2, ctx);
    expect(o).toMatchObject({
      name: 'sf.f.web.local.abc123.2',
      Image: 'hello/web:1',
      Entrypoint: ['sh', '-c'],
      Cmd: ['echo hi'],
      Env: ['A=1', 'S=hunter22'],
      ExposedPorts: { '8080/tcp': {}, '53/udp': {} },
      HostConfig: {
        PortBindings: {
          '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }],
          '53/udp': [{ HostIp: '127.0.0.1', HostPort: '' }],
        },
        NanoCpus: 250_000_000,
        Memory: 64 * 1024 * 1024,
        RestartPolicy: { Name: 'unless-stopped' },
      },
      Healthcheck: {
        Test: ['CMD', 'wget', '-q', '--spider', '--header', 'X-A: b', 'http://127.0.0.1:8080/healthz'],
        Interval: 5e9,
        Timeout: 4e9,
        Retries: 5,
        StartPeriod: 2e9,
      },
      Labels: {
        team: 'shop',
        'skyfleet.dev/fleet': 'f',
        'skyfleet.dev/ordinal': '2',
        'skyfleet.dev/domain': 'local',
        [DOCKER_LABELS.ports]: 'http=8080/tcp,53/udp',
      },
    });
    expect(JSON.stringify(o.Labels)).not.toContain('hunter22');
    // the config hash does not depend on the ordinal
    expect(o.Labels?.[DOCKER_LABELS.configHash]).toBe(toCreateOptions(s, 0, ctx).Labels?.[DOCKER_LABELS.configHash]);
    expect(o.Labels?.[DOCKER_LABELS.configHash]).toBe(createConfigHash(o));
  });

  it('maps tcpSocket and exec probes; no probe switches the image HEALTHCHECK off', () => {
    const tcp = toCreateOptions(slice({ readinessProbe: { tcpSocket: { port: 6379 }, timeoutSeconds: 2 } }), 0, ctx);
    expect(tcp.Healthcheck?.Test).toEqual(['CMD', 'nc', '-w', '2', '127.0.0.1', '6379']);
    const exec = toCreateOptions(slice({ readinessProbe: { exec: { command: ['cat', '/tmp/ok'] } } }), 0, ctx);
    expect(exec.Healthcheck?.Test).toEqual(['CMD', 'cat', '/tmp/ok']);
    expect(toCreateOptions(slice({}), 0, ctx).Healthcheck).toEqual({ Test: ['NONE'] });
  });

  it('rejects what Docker targets cannot run with ValidationErrors that name the field and no secret', () => {
    const two = {
      ...slice({}),
      template: podTemplate.parse({
        containers: [
          { name: 'a', image: 'x' },
          { name: 'b', image: 'x' },
        ],
      }),
    };
    expect(() => toCreateOptions(two, 0, ctx)).toThrow(ValidationError);
    const noSecret = slice({ env: [{ name: 'S', valueFrom: { secretKeyRef: { name: 'x', key: 'y' } } }] });
    const err = (() => {
      try {
        toCreateOptions(noSecret, 0, ctx);
      } catch (e) {
        return e as ValidationError;
      }
    })();
    expect(err?.issues[0]?.path).toBe('spec.template.containers[0].env[0].valueFrom');
  });

  it('adds :latest only to references without a tag or digest', () => {
    expect(withDefaultTag('nginx')).toBe('nginx:latest');
    expect(withDefaultTag('localhost:5000/a/b')).toBe('localhost:5000/a/b:latest');
    expect(withDefaultTag('a/b:1')).toBe('a/b:1');
    expect(withDefaultTag('a/b@sha256:00')).toBe('a/b@sha256:00');
  });

  it('maps container states to replica states', () => {
    const info = (State: Record<string, unknown>, RestartCount = 0) =>
      ({ State: { Error: '', ExitCode: 0, OOMKilled: false, Paused: false, ...State }, RestartCount }) as never;
    expect(replicaState(info({ Status: 'running' }))).toEqual({ state: 'ready', ready: true });
    expect(replicaState(info({ Status: 'running', Health: { Status: 'starting', Log: [] } })).state).toBe('starting');
    expect(
      replicaState(
        info({ Status: 'running', Health: { Status: 'unhealthy', Log: [{ ExitCode: 1, Output: 'wget: 404\n' }] } }),
      ),
    ).toEqual({ state: 'unhealthy', ready: false, message: 'health check failed: wget: 404' });
    expect(replicaState(info({ Status: 'exited', ExitCode: 137 }))).toEqual({
      state: 'stopped',
      ready: false,
      message: 'exited with code 137',
    });
    expect(replicaState(info({ Status: 'restarting', ExitCode: 3 }, 4)).state).toBe('failed');
    // left created by an interrupted apply: stopped, so that self-healing starts it
    expect(replicaState(info({ Status: 'created' }))).toMatchObject({
      state: 'stopped',
      ready: false,
      message: expect.stringContaining('never started'),
    });
  });
});

describe('docker error classification', () => {
  const c = { target: 't', operation: 'createContainer' };
  it.each([
    [
      Object.assign(new Error('connect ECONNREFUSED /var/run/docker.sock'), { code: 'ECONNREFUSED' }),
      true,
      'ECONNREFUSED',
    ],
    [Object.assign(new Error('connect ENOENT /var/run/docker.sock'), { code: 'ENOENT' }), true, 'ENOENT'],
    [Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), true, 'ECONNRESET'],
    [modemError(500, 'driver failed programming external connectivity'), true, undefined],
    [modemError(500, 'Get "https://registry-1.docker.io/v2/": manifest unknown'), false, 'ImageNotFound'],
    [modemError(404, 'No such image: a/b:1'), false, 'ImageNotFound'],
    [modemError(404, 'No such container: x'), false, 'NotFound'],
    [modemError(400, 'invalid reference format'), false, 'InvalidParameter'],
    [modemError(409, 'Conflict. The container name "/x" is already in use'), false, 'Conflict'],
    [modemError(409, 'removal of container x is already in progress'), true, 'Conflict'],
    [Object.assign(new Error('This operation was aborted'), { name: 'AbortError' }), true, 'Aborted'],
  ])('%s', (err, retryable, code) => {
    const e = toProviderError(err, c);
    expect(e).toBeInstanceOf(ProviderError);
    expect([e.retryable, e.providerCode, e.provider, e.target, e.operation]).toEqual([
      retryable,
      code,
      'docker',
      't',
      'createContainer',
    ]);
    expect(e.message).not.toContain('HTTP code');
  });

  it('keeps Docker message but never a secret value', () => {
    const e = toProviderError(modemError(400, 'invalid env "S=hunter22"'), { ...c, secrets: ['hunter22'] });
    expect(e.message).toBe('docker/t createContainer: invalid env "S=<redacted>" (InvalidParameter, 400)');
    expect(e.cause).toBeUndefined();
  });
});

describe('docker event stream', () => {
  it('parses split lines, reconnects when the stream ends, and stops for good', async () => {
    const streams: PassThrough[] = [];
    const options: Docker.GetEventsOptions[] = [];
    const fake = {
      getEvents: async (o: Docker.GetEventsOptions) => {
        options.push(o);
        const s = new PassThrough();
        streams.push(s);
        return s;
      },
    } as unknown as Docker;
    const seen: string[] = [];
    let reconnects = 0;
    const stop = followEvents(async () => fake, {
      labels: ['a=b'],
      onEvent: (e) => seen.push(e.Action ?? ''),
      onReconnect: () => reconnects++,
      minBackoffMs: 5,
    });
    await eventually(async () => streams.length === 1, { ...DOCKER_POLL, message: 'first connection' });
    streams[0]!.write('{"Action":"die","time":100');
    streams[0]!.write('}\n{"Action":"start","time":101}\n');
    await eventually(async () => seen.length === 2, { ...DOCKER_POLL, message: 'two events' });
    streams[0]!.end();
    await eventually(async () => streams.length === 2 && reconnects === 1, {
      ...DOCKER_POLL,
      message: 'a reconnection',
    });
    expect(options[1]?.since).toBe(101);
    expect(options[0]?.filters).toEqual({
      type: ['container'],
      label: ['a=b'],
      event: ['die', 'start', 'destroy', 'health_status'],
    });
    stop();
    streams[1]!.end();
    await new Promise((r) => setTimeout(r, 30));
    expect(streams).toHaveLength(2);
    expect(seen).toEqual(['die', 'start']);
  });
});
