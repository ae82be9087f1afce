import { type Plain, type Scope, isPlain, show, warnUnhandled } from '../scope.js';
import type { ContainerDoc, ContainerPortDoc } from '../skyfleet-types.js';
import { skyfleetName } from '../names.js';
import { convertEnv } from './env.js';
import { convertProbe } from './probe.js';
import { convertResources } from './resources.js';

const REASONS: Record<string, string> = {
  volumeMounts: 'skyfleet runs stateless replicas and mounts no volumes: keep state in a managed service',
  volumeDevices: 'skyfleet mounts no block devices',
  envFrom: 'skyfleet has no ConfigMaps or whole-secret imports: list each variable under env (value or secretKeyRef)',
  imagePullPolicy: "skyfleet pulls by the provider's own policy: pin a tag or digest to control what runs",
  securityContext: "skyfleet runs containers with the provider's defaults: a security context is not supported",
  lifecycle: 'skyfleet has no postStart/preStop hooks: do it in the entrypoint or a signal handler',
  workingDir: 'skyfleet sets no working directory: set it in the image (WORKDIR)',
  stdin: 'skyfleet attaches no terminal or stdin',
  stdinOnce: 'skyfleet attaches no terminal or stdin',
  tty: 'skyfleet attaches no terminal or stdin',
  terminationMessagePath: 'skyfleet reports the exit state from the provider, not a termination message file',
  terminationMessagePolicy: 'skyfleet reports the exit state from the provider, not a termination message file',
  resizePolicy: 'skyfleet changes resources by rolling out a new revision',
  restartPolicy: 'skyfleet has no sidecar containers: every container runs for the life of the replica',
};

/** One Kubernetes container as a skyfleet container. */
export function convertContainer(scope: Scope, raw: unknown, index: number): ContainerDoc | undefined {
  if (!isPlain(raw)) {
    scope.warn(`expected a container object, got ${show(raw)}: left out`);
    return undefined;
  }
  const rawName = typeof raw.name === 'string' ? raw.name : `container-${index}`;
  const { name, changed } = skyfleetName(rawName);
  if (changed) scope.warn(`${show(rawName)} is not a skyfleet name: the container is named "${name}"`, 'name');
  if (typeof raw.image !== 'string') {
    scope.warn('no image: skyfleet runs images; set one', 'image');
    return undefined;
  }
  const out: Plain = { name, image: raw.image };
  if (raw.command !== undefined) out.command = raw.command;
  if (raw.args !== undefined) out.args = raw.args;
  if (raw.env !== undefined) out.env = convertEnv(scope.at('env'), raw.env);
  if (raw.ports !== undefined) out.ports = convertPorts(scope.at('ports'), raw.ports);
  if (raw.resources !== undefined) out.resources = convertResources(scope.at('resources'), raw.resources);
  for (const p of ['readinessProbe', 'livenessProbe', 'startupProbe'] as const) {
    if (raw[p] === undefined) continue;
    const probe = convertProbe(scope.at(p), raw[p]);
    if (probe) out[p] = probe;
  }
  warnUnhandled(
    scope,
    raw,
    [
      'name',
      'image',
      'command',
      'args',
      'env',
      'ports',
      'resources',
      'readinessProbe',
      'livenessProbe',
      'startupProbe',
    ],
    REASONS,
    'not a field skyfleet has for a container',
  );
  return out as ContainerDoc;
}

function convertPorts(scope: Scope, raw: unknown): ContainerPortDoc[] {
  if (!Array.isArray(raw)) {
    scope.warn(`expected a list of ports, got ${show(raw)}: no ports`);
    return [];
  }
  const out: ContainerPortDoc[] = [];
  raw.forEach((p, i) => {
    const s = scope.at(i);
    if (!isPlain(p) || typeof p.containerPort !== 'number') {
      s.warn('expected { containerPort }: left out');
      return;
    }
    const port: Plain = { containerPort: p.containerPort };
    if (typeof p.name === 'string') port.name = p.name;
    if (p.protocol === 'TCP' || p.protocol === 'UDP') port.protocol = p.protocol;
    else if (p.protocol !== undefined) {
      s.warn(`skyfleet publishes TCP and UDP ports only, not ${show(p.protocol)}: left out`, 'protocol');
      return;
    }
    warnUnhandled(
      s,
      p,
      ['containerPort', 'name', 'protocol'],
      {
        hostPort: 'skyfleet publishes ports through its provider and service, not on a host port',
        hostIP: 'skyfleet publishes ports through its provider and service, not on a host address',
      },
      'not a field of a container port',
    );
    out.push(port as ContainerPortDoc);
  });
  return out;
}
