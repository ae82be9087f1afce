import { resolve } from 'node:path';
import { parseDuration } from './duration.js';
import { UsageError } from './usage-error.js';

export interface EmulateFlags {
  aws?: boolean;
  azure?: boolean;
  gcp?: boolean;
  listen: string;
  dataPlanePort: string;
  stateDir: string;
  replicas: string;
  consistencyLag: string;
}

/** `host:port` on a loopback address (a stand-in serves this machine only). */
function loopback(value: string, flag: string): { host: string; port: number } {
  const m = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost):(\d{1,5})$/.exec(value);
  if (!m || Number(m[2]) > 65535)
    throw new UsageError(
      `${flag}: expected 127.0.0.1:PORT (a stand-in listens on this machine's loopback only), got "${value}"`,
    );
  return { host: m[1] === 'localhost' ? '127.0.0.1' : m[1]!, port: Number(m[2]) };
}

/**
 * `skyfleet emulate`: local stand-ins of ECS, ARM/ACI and Cloud Run on 127.0.0.1 until stopped
 * (SIGINT/SIGTERM), their replicas as containers on the local Docker engine. The first line says
 * what it is; then the targets to paste into a Fleet document (also written to STATE_DIR/targets.yaml).
 */
export async function emulateCommand(cmd: EmulateFlags): Promise<void> {
  const all = !cmd.aws && !cmd.azure && !cmd.gcp;
  const clouds = { aws: all || cmd.aws === true, azure: all || cmd.azure === true, gcp: all || cmd.gcp === true };
  const listen = loopback(cmd.listen, '--listen');
  const dataPlanePort = Number(cmd.dataPlanePort);
  if (!Number.isInteger(dataPlanePort) || dataPlanePort < 0 || dataPlanePort > 65535)
    throw new UsageError(`--data-plane-port: expected a port 0-65535, got "${cmd.dataPlanePort}"`);
  if (cmd.replicas !== 'docker' && cmd.replicas !== 'none')
    throw new UsageError(
      `--replicas: expected docker (containers on the local engine) or none (state only), got "${cmd.replicas}"`,
    );
  const consistencyLagMs = parseDuration(cmd.consistencyLag, '--consistency-lag');
  const stateDir = resolve(cmd.stateDir);
  const [{ startStandIn }, { tlsMaterial }, { standInTargets }, { writeFileSync }, { randomBytes }] = await Promise.all(
    [
      import('../../emulators/stand-in/stand-in.js'),
      import('../../emulators/stand-in/tls-material.js'),
      import('../../emulators/stand-in/stand-in-fleet.js'),
      import('node:fs'),
      import('node:crypto'),
    ],
  );
  process.stdout.write(
    'skyfleet emulate: a local stand-in of AWS ECS, Azure Container Instances and Google Cloud Run for tests and examples; it is not the cloud, keeps its state in memory and takes no real credentials\n',
  );
  const tls = tlsMaterial(stateDir);
  let runtime: import('../../emulators/replica-runtime/docker-replica-runtime.js').DockerReplicaRuntime | undefined;
  if (cmd.replicas === 'docker') {
    const [{ default: Docker }, { DockerReplicaRuntime }] = await Promise.all([
      import('dockerode'),
      import('../../emulators/replica-runtime/docker-replica-runtime.js'),
    ]);
    const docker = new Docker();
    try {
      await docker.ping();
    } catch (e) {
      throw new UsageError(
        `--replicas docker needs a Docker engine (${(e as Error).message}); start one, or pass --replicas none`,
      );
    }
    runtime = new DockerReplicaRuntime({
      docker,
      // $SKYFLEET_EMULATE_ID: the label value of its containers (tests give a per-run id)
      instance: process.env.SKYFLEET_EMULATE_ID || randomBytes(6).toString('hex'),
      onError: (m) => process.stderr.write(`skyfleet emulate: ${m}\n`),
    });
  }
  const standIn = await startStandIn({
    listen,
    dataPlanePort,
    clouds,
    tls,
    consistencyLagMs,
    ...(runtime ? { runtime } : {}),
  });
  const targets = standInTargets(standIn, tls.caFile);
  const targetsFile = resolve(stateDir, 'targets.yaml');
  writeFileSync(targetsFile, `${targets}\n`, { mode: 0o600 });
  process.stdout.write(`APIs on ${standIn.url.http} (TLS on the same port)`);
  if (standIn.dataPlaneAddress) process.stdout.write(`, Cloud Run data plane on ${standIn.dataPlaneAddress}`);
  process.stdout.write(`\ntargets (also in ${targetsFile}):\n${targets}\nready\n`);
  await new Promise<void>((done) => {
    const stop = () => done();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await standIn.close();
  await runtime?.close();
  process.stdout.write('stopped; its replicas are removed\n');
}

/** One call to a running stand-in's control routes (`/_emulate/...`); its JSON answer. */
async function control(listen: string, method: 'PUT' | 'DELETE', path: string): Promise<unknown> {
  const { host, port } = loopback(listen, '--listen');
  const res = await fetch(`http://${host}:${port}/_emulate/${path}`, { method }).catch((e: unknown) => {
    throw new UsageError(
      `no stand-in answers on ${host}:${port} (${(e as Error).message}): start skyfleet emulate first`,
    );
  });
  if (!res.ok) throw new UsageError(`the stand-in refused: ${res.status} ${await res.text()}`);
  return res.json();
}

/** `skyfleet emulate outage ZONE [--up]`: a zone (or Cloud Run region) of a running stand-in goes down or comes back. */
export async function emulateOutageCommand(zone: string, cmd: { listen: string; up?: boolean }): Promise<void> {
  await control(cmd.listen, cmd.up ? 'DELETE' : 'PUT', `outages/${encodeURIComponent(zone)}`);
  process.stdout.write(`${zone}: ${cmd.up ? 'up' : 'down'}\n`);
}

/** `skyfleet emulate throttle SHARE`: that share of calls gets each cloud's throttling error (0: none). */
export async function emulateThrottleCommand(shareText: string, cmd: { listen: string }): Promise<void> {
  const share = Number(shareText);
  if (!(shareText.trim() !== '' && share >= 0 && share <= 1))
    throw new UsageError(
      `emulate throttle: SHARE is a number from 0 to 1 (0.3: 30% of calls; 0: off), got ${JSON.stringify(shareText)}`,
    );
  await control(cmd.listen, share === 0 ? 'DELETE' : 'PUT', share === 0 ? 'throttling' : `throttling?share=${share}`);
  process.stdout.write(share === 0 ? 'throttling: off\n' : `throttling: ${Math.round(share * 100)}% of calls\n`);
}

/** `skyfleet emulate pull-failure IMAGE [--off]`: pulls of IMAGE fail (ECS tasks stop, ACI containers wait, Cloud Run revisions never get ready). */
export async function emulatePullFailureCommand(image: string, cmd: { listen: string; off?: boolean }): Promise<void> {
  await control(cmd.listen, cmd.off ? 'DELETE' : 'PUT', `pull-failures/${encodeURIComponent(image)}`);
  process.stdout.write(`${image}: pulls ${cmd.off ? 'work again' : 'fail'}\n`);
}

/**
 * `skyfleet emulate secret aws|gcp NAME`: a new value of a secret in the stand-in's Secrets Manager
 * (created the first time, with a fixed ARN to put in a fleet's `secrets` map) or Secret Manager
 * (a new version of NAME). Only versions are kept, never values: the next apply rolls it out.
 */
export async function emulateSecretCommand(cloud: string, name: string, cmd: { listen: string }): Promise<void> {
  if (cloud !== 'aws' && cloud !== 'gcp')
    throw new UsageError(
      `emulate secret: CLOUD is aws (Secrets Manager) or gcp (Secret Manager), got ${JSON.stringify(cloud)}`,
    );
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(name))
    throw new UsageError(`emulate secret: NAME is 1-128 letters, digits, _ or -, got ${JSON.stringify(name)}`);
  const out = (await control(cmd.listen, 'PUT', `secrets/${cloud}/${name}`)) as {
    arn?: string;
    name?: string;
    version: string | number;
  };
  process.stdout.write(`${out.arn ?? out.name}: version ${out.version} is current\n`);
}
