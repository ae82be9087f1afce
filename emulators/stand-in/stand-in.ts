import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo, type Server } from 'node:net';
import { systemClock } from '../../src/util/clock.js';
import { EcsEmulator } from '../aws-ecs/ecs-emulator.js';
import { AciEmulator } from '../azure-aci/aci-emulator.js';
import { aciFront } from '../azure-aci/front.js';
import { type EmulatedResponse, parseBody } from '../framework/index.js';
import { CloudRunEmulator } from '../gcp-cloud-run/cloud-run-emulator.js';
import type { ReplicaRuntime } from '../replica-runtime/replica-runtime.js';
import { refusedCredential } from './stand-in-credentials.js';
import { STAND_IN_IDS, standInSecretArn } from './stand-in-ids.js';
import type { TlsMaterial } from './tls-material.js';

export interface StandInOptions {
  /** Where the APIs listen (plain HTTP and TLS on one port); port 0 picks one. */
  listen: { host: string; port: number };
  /**
   * Where the data plane listens (TLS): Cloud Run's (`*.a.run.app`) and the front of ACI's groups
   * (`*.<location>.azurecontainer.io`), told apart by the host name; port 0 picks one.
   */
  dataPlanePort: number;
  clouds: { aws: boolean; azure: boolean; gcp: boolean };
  tls: TlsMaterial;
  /**
   * How long lists (and ECS describes) show what was there before a write, as the clouds'
   * eventually consistent reads do (see each emulator's header); 0 (default): always current.
   */
  consistencyLagMs?: number;
  /** Runs the replicas (local containers); without one, replicas are state only. */
  runtime?: ReplicaRuntime;
}

export interface StandIn {
  /** `http://HOST:PORT` (AWS, Google) and `https://HOST:PORT` (Azure: its SDK sends tokens only over TLS). */
  readonly url: { http: string; https: string };
  /** `127.0.0.1:PORT` of the data plane (a target's `dataPlaneAddress`), when GCP or Azure is served. */
  readonly dataPlaneAddress: string | undefined;
  readonly ecs: EcsEmulator | undefined;
  readonly aci: AciEmulator | undefined;
  readonly cloudRun: CloudRunEmulator | undefined;
  /** A zone (ECS `us-east-1a`, ACI `eastus-1`) or Cloud Run region (`us-central1`) goes down or up. */
  outage(zone: string, down: boolean): void;
  close(): Promise<void>;
}

/**
 * Local stand-ins of ECS, ARM/ACI and Cloud Run as real HTTP on 127.0.0.1: one listener for the
 * three APIs, told apart by the request as the real endpoints are (`X-Amz-Target` for ECS,
 * `/subscriptions/...` for ARM, `/v2/...` for Cloud Run), plain HTTP and TLS on the same port, with
 * their state, official-model validation and failure switches (the emulators of ../aws-ecs,
 * ../azure-aci, ../gcp-cloud-run), and control routes under `/_emulate/`.
 */
export async function startStandIn(options: StandInOptions): Promise<StandIn> {
  const clock = systemClock;
  const runtime = options.runtime;
  const consistencyLagMs = options.consistencyLagMs ?? 0;
  const ecs = options.clouds.aws
    ? new EcsEmulator({
        clock,
        region: STAND_IN_IDS.aws.region,
        accountId: STAND_IN_IDS.aws.accountId,
        subnets: Object.fromEntries(
          Object.entries(STAND_IN_IDS.aws.subnets).flatMap(([zone, ids]) => ids.map((id) => [id, zone])),
        ),
        clusters: [STAND_IN_IDS.aws.cluster],
        consistencyLagMs,
        timings: {
          pendingAfterMs: 200,
          runningAfterMs: 500,
          healthyAfterMs: 0,
          stoppedAfterMs: 300,
          relaunchAfterMs: 5000,
        },
        ...(runtime ? { runtime } : {}),
      })
    : undefined;
  const aci = options.clouds.azure
    ? new AciEmulator({
        clock,
        subscriptionId: STAND_IN_IDS.azure.subscriptionId,
        locations: { [STAND_IN_IDS.azure.location]: ['1', '2', '3'] },
        provisionMs: 1500,
        deleteMs: 500,
        consistencyLagMs,
        ...(runtime ? { runtime } : {}),
      })
    : undefined;
  const cloudRun = options.clouds.gcp
    ? new CloudRunEmulator({
        clock,
        revisionReadyMs: 300,
        consistencyLagMs,
        routeMs: 200,
        deleteMs: 300,
        ...(runtime ? { runtime } : {}),
      })
    : undefined;

  let httpsOrigin = '';
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
    const body = parseBody(raw, headers['content-type']);
    const method = req.method ?? 'GET';
    let answer: EmulatedResponse;
    try {
      answer = await route(method, url, headers, body);
    } catch (e) {
      answer = { status: 500, body: { message: `stand-in error: ${(e as Error).message}` } };
    }
    const payload =
      answer.body === undefined ? '' : typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
    res.writeHead(answer.status, {
      ...(payload && typeof answer.body !== 'string' ? { 'content-type': 'application/json' } : {}),
      ...answer.headers,
    });
    res.end(payload);
  };

  const route = async (
    method: string,
    url: URL,
    headers: Record<string, string>,
    body: unknown,
  ): Promise<EmulatedResponse> => {
    const path = url.pathname;
    if (path === '/_emulate' || path.startsWith('/_emulate/')) return control(method, path, url);
    if (headers['x-amz-target']) {
      if (!ecs) return notServed('AWS ECS', '--aws');
      const refused = refusedCredential('aws', headers);
      if (refused) return { status: 400, body: { __type: 'UnrecognizedClientException', message: refused } };
      if (headers['x-amz-target'].startsWith('secretsmanager.'))
        return ecs.secretStores.handleSecretsManager(headers, body);
      if (headers['x-amz-target'].startsWith('AmazonSSM.')) return ecs.secretStores.handleSsm(headers, body);
      return ecs.handle(method, path, headers, body);
    }
    if (path.startsWith('/subscriptions/')) {
      if (!aci) return notServed('Azure Container Instances', '--azure');
      const refused = refusedCredential('azure', headers);
      if (refused) return { status: 401, body: { error: { code: 'InvalidAuthenticationToken', message: refused } } };
      return aci.handle(method, path, url.searchParams, headers, body, httpsOrigin);
    }
    if (path.startsWith('/v1/projects/') && path.includes('/secrets/')) {
      if (!cloudRun) return notServed('Google Secret Manager', '--gcp');
      const refused = refusedCredential('gcp', headers);
      if (refused) return { status: 401, body: { error: { code: 401, message: refused, status: 'UNAUTHENTICATED' } } };
      return cloudRun.secretManager.handle(method, path);
    }
    if (path.startsWith('/v2/')) {
      if (!cloudRun) return notServed('Google Cloud Run', '--gcp');
      const refused = refusedCredential('gcp', headers);
      if (refused) return { status: 401, body: { error: { code: 401, message: refused, status: 'UNAUTHENTICATED' } } };
      return cloudRun.handle(method, path, url.searchParams, headers, body);
    }
    return {
      status: 404,
      body: {
        message: `skyfleet emulate (a local stand-in, not the cloud) serves ECS (X-Amz-Target), ARM (/subscriptions/...) and Cloud Run (/v2/...); nothing at ${path}`,
      },
    };
  };

  const outage = (zone: string, down: boolean) => {
    if (down) {
      ecs?.zoneDown(zone);
      aci?.faults.zoneDown(zone);
      cloudRun?.faults.regionDown(zone);
    } else {
      ecs?.zoneUp(zone);
      aci?.faults.zoneUp(zone);
      cloudRun?.faults.regionUp(zone);
    }
  };

  // the share of calls each cloud answers with its own throttling error, and the images whose
  // pulls fail (ECS: tasks stop with CannotPullContainerError; ACI: containers wait with "Failed to
  // pull image" events; Cloud Run: the revision never gets ready)
  let throttling = 0;
  const failingPulls = new Set<string>();
  const throttle = (share: number) => {
    throttling = share;
    ecs?.throttle(share);
    aci?.throttle(share, { retryAfterSeconds: 1 });
    cloudRun?.throttleMixed(share, [
      { status: 429, code: 'RESOURCE_EXHAUSTED', message: 'Quota exceeded for quota metric Write requests' },
    ]);
  };
  const pullFails = (image: string, fails: boolean) => {
    if (fails) failingPulls.add(image);
    else failingPulls.delete(image);
    const escaped = [...failingPulls].map((i) => i.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    ecs?.failImagePulls(escaped.length ? new RegExp(`^(${escaped.join('|')})$`) : null);
    if (fails) {
      cloudRun?.neverReadyImages.add(image);
      aci?.failingPulls.add(image);
    } else {
      cloudRun?.neverReadyImages.delete(image);
      aci?.failingPulls.delete(image);
    }
  };

  const control = (method: string, path: string, url: URL): EmulatedResponse => {
    const m = /^\/_emulate\/outages\/([A-Za-z0-9-]+)$/.exec(path);
    if (m && (method === 'PUT' || method === 'DELETE')) {
      outage(m[1]!, method === 'PUT');
      return { status: 200, body: { zone: m[1], down: method === 'PUT' } };
    }
    if (path === '/_emulate/throttling' && (method === 'PUT' || method === 'DELETE')) {
      const share = method === 'DELETE' ? 0 : Number(url.searchParams.get('share'));
      if (!(share >= 0 && share <= 1))
        return { status: 400, body: { message: 'throttling: give ?share= a number from 0 to 1 (0.3: 30% of calls)' } };
      throttle(share);
      return { status: 200, body: { throttling: share } };
    }
    const pull = /^\/_emulate\/pull-failures\/(.+)$/.exec(path);
    if (pull && (method === 'PUT' || method === 'DELETE')) {
      const image = decodeURIComponent(pull[1]!);
      pullFails(image, method === 'PUT');
      return { status: 200, body: { image, pullFails: method === 'PUT' } };
    }
    const secret = /^\/_emulate\/secrets\/(aws|gcp)\/([A-Za-z0-9_-]{1,128})$/.exec(path);
    if (secret && method === 'PUT') return putSecret(secret[1] as 'aws' | 'gcp', secret[2]!);
    if (path === '/_emulate' && method === 'GET') {
      const down = new Set([
        ...(ecs?.faults.downZones ?? []),
        ...(aci?.faults.downZones ?? []),
        ...(cloudRun?.faults.downRegions ?? []),
      ]);
      return {
        status: 200,
        body: {
          standIn: 'skyfleet emulate: a local stand-in of the clouds, not the clouds',
          clouds: { aws: !!ecs, azure: !!aci, gcp: !!cloudRun },
          outages: [...down],
          throttling,
          pullFailures: [...failingPulls],
          consistencyLagMs,
          dataPlaneAddress: dataPlaneAddress ?? null,
        },
      };
    }
    return {
      status: 404,
      body: {
        message:
          'control routes: GET /_emulate, PUT|DELETE /_emulate/outages/ZONE, PUT /_emulate/throttling?share=0.3, DELETE /_emulate/throttling, PUT|DELETE /_emulate/pull-failures/IMAGE, PUT /_emulate/secrets/aws|gcp/NAME',
      },
    };
  };

  /**
   * A new value of a secret (never stored: only its version is): in Secrets Manager a secret
   * `NAME` (created with a fixed ARN, `standInSecretArn`) whose AWSCURRENT version moves, in
   * Secret Manager a new version of `NAME` in the stand-in's project.
   */
  const putSecret = (cloud: 'aws' | 'gcp', name: string): EmulatedResponse => {
    if (cloud === 'aws') {
      if (!ecs) return notServed('AWS Secrets Manager', '--aws');
      const arn = standInSecretArn(name);
      if (!ecs.secretStores.currentVersion(arn)) ecs.secretStores.createSecret(name, arn);
      else ecs.secretStores.rotateSecret(arn);
      const version = ecs.secretStores.currentVersion(arn)!;
      return { status: 200, body: { arn, version } };
    }
    if (!cloudRun) return notServed('Google Secret Manager', '--gcp');
    const version = cloudRun.secretManager.addVersion(STAND_IN_IDS.gcp.project, name);
    return { status: 200, body: { name: `projects/${STAND_IN_IDS.gcp.project}/secrets/${name}`, version } };
  };

  const notServed = (cloud: string, flag: string): EmulatedResponse => ({
    status: 404,
    body: { message: `this stand-in does not serve ${cloud}: start skyfleet emulate with ${flag}` },
  });

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch(() => res.destroy());
  };
  const plain = createHttpServer({ keepAlive: true }, onRequest);
  const secure = createHttpsServer({ key: options.tls.key, cert: options.tls.cert, keepAlive: true }, onRequest);
  // one port for both: a TLS connection starts with a handshake record (0x16)
  const listener: Server = createNetServer((socket) => {
    socket.once('data', (first: Buffer) => {
      socket.pause();
      socket.unshift(first);
      (first[0] === 0x16 ? secure : plain).emit('connection', socket);
      process.nextTick(() => socket.resume());
    });
    socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(options.listen.port, options.listen.host, () => resolve());
  });
  const { port } = listener.address() as AddressInfo;
  const hostPort = `${options.listen.host}:${port}`;
  httpsOrigin = `https://${hostPort}`;

  // one TLS listener for the replicas of both: Cloud Run's `*.run.app` and ACI's groups by FQDN
  let dataPlane: HttpsServer | undefined;
  let dataPlaneAddress: string | undefined;
  if (cloudRun || aci) {
    const cloudRunPlane = cloudRun?.dataPlane({ key: options.tls.key, cert: options.tls.cert });
    const aciPlane = aci ? aciFront(aci) : undefined;
    const server = createHttpsServer({ key: options.tls.key, cert: options.tls.cert, keepAlive: true }, (req, res) => {
      const host = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
      if (aciPlane && host.endsWith('.azurecontainer.io')) return aciPlane(req, res);
      if (cloudRunPlane) return cloudRunPlane.handle(req, res);
      req.resume();
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`this stand-in's data plane serves container groups (*.azurecontainer.io); no ${host}\n`);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.dataPlanePort, options.listen.host, () => resolve());
    });
    dataPlane = server;
    dataPlaneAddress = `${options.listen.host}:${(server.address() as AddressInfo).port}`;
  }
  // the emulators move on their clock at each request; between requests, a tick moves them too
  const tick = setInterval(() => {
    ecs?.tick();
    aci?.tick();
    cloudRun?.servicesNow();
  }, 250);
  tick.unref();

  return {
    url: { http: `http://${hostPort}`, https: httpsOrigin },
    dataPlaneAddress,
    ecs,
    aci,
    cloudRun,
    outage,
    async close() {
      clearInterval(tick);
      if (dataPlane) {
        const server = dataPlane;
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
      plain.closeAllConnections();
      secure.closeAllConnections();
      await new Promise<void>((resolve) => listener.close(() => resolve()));
    },
  };
}
