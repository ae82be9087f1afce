import { API_VERSION } from '../../spec/deployment.js';
import { skyfleetName } from '../names.js';
import { type Plain, type Scope, isPlain, show, warnUnhandled } from '../scope.js';
import type { ContainerDoc, DeploymentDoc, EnvVarDoc } from '../skyfleet-types.js';
import { convertDeploy, labelMap } from './deploy.js';
import { type ReadRelative, convertEnvironment } from './environment.js';
import { convertHealthcheck } from './healthcheck.js';
import { convertPorts } from './ports.js';
import { composeBytes, memoryQuantity, shellWords } from './units.js';

const REASONS: Record<string, string> = {
  volumes:
    'skyfleet runs stateless replicas and mounts no volumes: keep state in a managed service, or bake files into the image',
  networks:
    "skyfleet replicas run on their provider's network; they reach each other through a deployment's listener (spec.service), not by service name",
  network_mode: "skyfleet replicas run on their provider's network",
  container_name: 'skyfleet names replicas itself (after the deployment)',
  hostname: 'skyfleet names replicas itself',
  domainname: 'skyfleet names replicas itself',
  links: "skyfleet replicas reach each other through a deployment's listener (spec.service), not by links",
  external_links: "skyfleet replicas reach each other through a deployment's listener (spec.service)",
  extra_hosts: "skyfleet replicas use the provider's DNS: host entries are not supported",
  dns: "skyfleet replicas use the provider's DNS",
  dns_search: "skyfleet replicas use the provider's DNS",
  dns_opt: "skyfleet replicas use the provider's DNS",
  cap_add: "skyfleet runs containers with the provider's default capabilities",
  cap_drop: "skyfleet runs containers with the provider's default capabilities",
  privileged: 'skyfleet runs no privileged containers',
  security_opt: "skyfleet runs containers with the provider's defaults",
  user: 'skyfleet sets no user: set it in the image (USER)',
  working_dir: 'skyfleet sets no working directory: set it in the image (WORKDIR)',
  stdin_open: 'skyfleet attaches no terminal or stdin',
  tty: 'skyfleet attaches no terminal or stdin',
  logging: "skyfleet leaves logs to the provider's log service",
  platform: "skyfleet runs the image's platform that the provider picks: use a multi-platform image or a digest",
  runtime: 'skyfleet uses the runtime of the provider',
  stop_signal: 'skyfleet stops replicas with the signal of its provider (SIGTERM): handle SIGTERM',
  stop_grace_period: "skyfleet stops a replica with its provider's own grace period",
  pull_policy: "skyfleet pulls by the provider's own policy: pin a tag or digest to control what runs",
  profiles: 'skyfleet converts every service: profiles do not select any',
  extends: 'skyfleet does not merge Compose files: write the extended service out',
  configs: 'skyfleet mounts no config files: pass the values as environment variables',
  devices: 'skyfleet maps no host devices',
  ulimits: "skyfleet runs containers with the provider's limits",
  sysctls: "skyfleet runs containers with the provider's kernel settings",
  tmpfs: 'skyfleet mounts no volumes, tmpfs included',
  shm_size: "skyfleet runs containers with the provider's shared memory size",
  init: 'skyfleet runs the image entrypoint as process 1: use an image with an init (tini) if it needs one',
  ipc: 'skyfleet replicas share nothing with a host',
  pid: 'skyfleet replicas share nothing with a host',
};

export interface Dependency {
  name: string;
  /** Its key in depends_on: an index (list form) or the service name (map form). */
  at: string | number;
}

export interface ComposeServiceResult {
  doc: DeploymentDoc;
  dependsOn: Dependency[];
}

function convertDependsOn(scope: Scope, raw: unknown): Dependency[] {
  if (Array.isArray(raw)) return raw.map((d, i) => ({ name: String(d), at: i }));
  if (!isPlain(raw)) return [];
  return Object.entries(raw).map(([name, v]) => {
    const s = scope.at('depends_on', name);
    if (isPlain(v)) {
      if (v.condition === 'service_completed_successfully')
        s.warn(
          `skyfleet keeps replicas running: it does not wait for ${name} to complete, only until it is ready`,
          'condition',
        );
      warnUnhandled(
        s,
        v,
        ['condition'],
        {
          restart: `skyfleet does not restart a deployment when ${name} restarts`,
          required: 'skyfleet waits for every dependency it converted',
        },
        'not a field of depends_on',
      );
    }
    return { name, at: name };
  });
}

/** One Compose service as a skyfleet Deployment (one container named after the service). */
export function convertService(
  scope: Scope,
  key: string,
  svc: Plain,
  read: ReadRelative | undefined,
): ComposeServiceResult | undefined {
  const { name, changed } = skyfleetName(key);
  if (typeof svc.image !== 'string') {
    scope.warn(
      svc.build !== undefined
        ? `service ${key} is built from source (build:) and names no image: skyfleet runs images; build and push it (docker build -t REGISTRY/${name}:TAG), then set image: the service is not converted`
        : `service ${key} has no image: not converted`,
      svc.build !== undefined ? 'build' : 'image',
    );
    return undefined;
  }
  if (changed) scope.note(`service ${key} is deployment "${name}" (a skyfleet name)`);
  if (svc.build !== undefined)
    scope.warn(`skyfleet runs the image ${show(svc.image)}: build it and push it before applying`, 'build');
  const container: Plain = { name, image: svc.image };
  const command = (field: 'command' | 'entrypoint'): string[] | undefined => {
    const v = svc[field];
    if (v === undefined || v === null) return undefined;
    if (Array.isArray(v)) return v.map(String);
    const words = shellWords(String(v));
    if (!words) scope.warn(`unbalanced quotes in ${show(v)}: left out`, field);
    return words;
  };
  // Compose's entrypoint replaces the image's ENTRYPOINT (Kubernetes' command), command its CMD (args)
  const entrypoint = command('entrypoint');
  if (entrypoint) container.command = entrypoint;
  const args = command('command');
  if (args) container.args = args;
  const env: EnvVarDoc[] = convertEnvironment(scope, svc, read);
  env.push(...convertSecrets(scope, svc.secrets));
  if (env.length) container.env = env;
  const { ports, service } = convertPorts(scope, svc);
  if (ports.length) container.ports = ports;
  const d = svc.deploy !== undefined ? convertDeploy(scope.at('deploy'), svc.deploy) : {};
  const resources: Plain = { ...(d.resources ?? {}) };
  if (svc.cpus !== undefined && resources.cpu === undefined) resources.cpu = svc.cpus;
  if (svc.mem_limit !== undefined && resources.memory === undefined) {
    const bytes = composeBytes(svc.mem_limit);
    if (bytes === undefined)
      scope.warn(`expected a size like 512m or 1g, got ${show(svc.mem_limit)}: no memory size`, 'mem_limit');
    else resources.memory = memoryQuantity(bytes);
  }
  if (Object.keys(resources).length) container.resources = resources;
  if (svc.healthcheck !== undefined) {
    const probe = convertHealthcheck(scope.at('healthcheck'), svc.healthcheck);
    if (probe) container.readinessProbe = probe;
  }
  const spec: Plain = {
    template: {
      ...(svc.labels !== undefined ? { metadata: { annotations: labelMap(scope.at('labels'), svc.labels) } } : {}),
      containers: [container as ContainerDoc],
    },
  };
  const replicas = d.replicas ?? (typeof svc.scale === 'number' ? svc.scale : undefined);
  if (replicas !== undefined) spec.replicas = replicas;
  if (d.strategy) spec.strategy = d.strategy;
  if (service) spec.service = service;
  if (svc.restart === 'no' || svc.restart === false)
    scope.warn('skyfleet restarts a replica that stops, always: restart "no" is not supported', 'restart');
  const dependsOn = convertDependsOn(scope, svc.depends_on);
  warnUnhandled(
    scope,
    svc,
    [
      'image',
      'build',
      'command',
      'entrypoint',
      'environment',
      'env_file',
      'secrets',
      'ports',
      'expose',
      'deploy',
      'healthcheck',
      'labels',
      'scale',
      'restart',
      'depends_on',
      'cpus',
      'mem_limit',
    ],
    REASONS,
    'not supported by skyfleet',
  );
  const doc = {
    apiVersion: API_VERSION,
    kind: 'Deployment',
    metadata: { name, ...(d.annotations ? { annotations: d.annotations } : {}) },
    spec,
  } as DeploymentDoc;
  return { doc, dependsOn };
}

/**
 * A service's secrets: Compose mounts each at /run/secrets/NAME; skyfleet passes secrets as
 * environment variables (valueFrom.secretKeyRef { name: NAME, key: value }), which is said.
 */
function convertSecrets(scope: Scope, raw: unknown): EnvVarDoc[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    scope.warn(`expected a list of secrets, got ${show(raw)}`, 'secrets');
    return [];
  }
  const out: EnvVarDoc[] = [];
  raw.forEach((s, i) => {
    const source = isPlain(s) ? s.source : s;
    if (typeof source !== 'string') {
      scope.warn('expected a secret name or { source }: left out', 'secrets', i);
      return;
    }
    const target = isPlain(s) && typeof s.target === 'string' ? s.target.replace(/^.*\//, '') : source;
    const variable = target
      .toUpperCase()
      .replace(/[^A-Z0-9_]/g, '_')
      .replace(/^(\d)/, '_$1');
    out.push({ name: variable, valueFrom: { secretKeyRef: { name: source, key: 'value' } } });
    scope.warn(
      `secret ${source} is the environment variable ${variable} (valueFrom.secretKeyRef { name: ${source}, key: value }): skyfleet mounts no secret files, so /run/secrets/${target} does not exist; make the program read the variable`,
      'secrets',
      i,
    );
    if (isPlain(s))
      warnUnhandled(
        scope.at('secrets', i),
        s,
        ['source', 'target'],
        {},
        'skyfleet mounts no secret files: file modes and owners do not apply',
      );
  });
  return out;
}
