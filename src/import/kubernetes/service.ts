import { type Plain, type Scope, isPlain, show, warnUnhandled } from '../scope.js';
import type { ContainerDoc, ServiceDoc } from '../skyfleet-types.js';
import type { ConvertedDeployment } from './deployment.js';
import { METADATA_REASONS } from './deployment.js';

const SPEC_REASONS: Record<string, string> = {
  clusterIP: "skyfleet's listener has no cluster address: it binds service.bindAddress",
  clusterIPs: "skyfleet's listener has no cluster address: it binds service.bindAddress",
  externalIPs: "skyfleet's listener binds service.bindAddress: external IPs are not supported",
  loadBalancerIP: "skyfleet's listener binds service.bindAddress: put a cloud load balancer in front for a fixed IP",
  loadBalancerSourceRanges: 'skyfleet does not filter sources: use a firewall in front of the listener',
  loadBalancerClass: 'skyfleet runs its own listener (the built-in router or nginx)',
  externalTrafficPolicy: 'skyfleet balances over every ready replica, on any target',
  internalTrafficPolicy: 'skyfleet balances over every ready replica, on any target',
  sessionAffinity: 'skyfleet balances requests without session affinity',
  sessionAffinityConfig: 'skyfleet balances requests without session affinity',
  ipFamilies: 'skyfleet listens on the address of service.bindAddress',
  ipFamilyPolicy: 'skyfleet listens on the address of service.bindAddress',
  publishNotReadyAddresses: 'skyfleet sends requests to ready replicas only',
  healthCheckNodePort: 'skyfleet has no nodes',
  allocateLoadBalancerNodePorts: 'skyfleet has no nodes',
  externalName: 'skyfleet has no DNS aliases',
  trafficDistribution: 'skyfleet balances over every ready replica, on any target',
};

/**
 * A `v1` Service whose selector matches a converted Deployment's pods becomes that deployment's
 * `service`: its first port is the listener (port), and targetPort the container port it sends to.
 */
export function convertService(scope: Scope, raw: Plain, deployments: readonly ConvertedDeployment[]): void {
  const meta = isPlain(raw.metadata) ? raw.metadata : {};
  const svcName = typeof meta.name === 'string' ? meta.name : '(unnamed)';
  const spec = isPlain(raw.spec) ? raw.spec : {};
  const s = scope.at('spec');
  const selector = isPlain(spec.selector) ? (spec.selector as Record<string, unknown>) : undefined;
  const matches = selector
    ? deployments.filter((d) => Object.entries(selector).every(([k, v]) => d.podLabels[k] === v))
    : [];
  const target = matches[0];
  if (!target) {
    scope.warn(
      selector
        ? `Service ${svcName}: no Deployment in this input has pods labelled ${Object.entries(selector)
            .map(([k, v]) => `${k}=${String(v)}`)
            .join(
              ',',
            )}; a skyfleet service belongs to a deployment: the Service is not converted (put its Deployment in the same file)`
        : `Service ${svcName} has no selector: a skyfleet service belongs to a deployment; not converted`,
      ...(raw.spec !== undefined ? ['spec', ...(selector ? ['selector'] : [])] : []),
    );
    return;
  }
  const depName = target.doc.metadata.name;
  if (matches.length > 1)
    s.warn(
      `the selector matches the pods of deployments ${matches.map((m) => m.doc.metadata.name).join(', ')}; a skyfleet service belongs to one: it is the service of ${depName}`,
      'selector',
    );
  if (target.doc.spec.service) {
    scope.warn(
      `deployment ${depName} already has its service (from another Service): a skyfleet deployment has one listener; this Service is not converted`,
    );
    return;
  }
  const ports = Array.isArray(spec.ports) ? spec.ports : [];
  const first = ports[0];
  if (!isPlain(first) || typeof first.port !== 'number') {
    s.warn(`Service ${svcName} has no port: not converted`, ...(spec.ports !== undefined ? ['ports'] : []));
    return;
  }
  const ps = s.at('ports', 0);
  if (first.protocol !== undefined && first.protocol !== 'TCP') {
    ps.warn(
      `skyfleet's listener carries TCP (HTTP) traffic, not ${show(first.protocol)}: the Service is not converted`,
      'protocol',
    );
    return;
  }
  const targetPort = (first.targetPort ?? first.port) as number | string;
  const containers = target.doc.spec.template.containers;
  const undeclared =
    typeof targetPort === 'number' && !containers.some((c) => c.ports?.some((p) => p.containerPort === targetPort));
  if (!declarePort(containers, targetPort)) {
    ps.warn(
      `no container of deployment ${depName} declares a port named ${show(targetPort)}: the Service is not converted; name the container port`,
      'targetPort',
    );
    return;
  }
  if (undeclared)
    scope.note(
      `deployment ${depName}: port ${targetPort} (targetPort of Service ${svcName}) is declared on container ${containers[0]!.name}, as skyfleet publishes declared ports only`,
    );
  const service: Plain = { port: first.port, targetPort };
  const type = spec.type ?? 'ClusterIP';
  if (type === 'NodePort' || type === 'LoadBalancer') {
    service.bindAddress = '0.0.0.0';
    scope.note(
      `deployment ${depName}: Service ${svcName} is of type ${String(type)}: its listener binds 0.0.0.0 (every interface of the controller's host)`,
    );
  } else if (type !== 'ClusterIP') {
    s.warn(`skyfleet's listener is like a ClusterIP (or LoadBalancer) Service, not ${show(type)}`, 'type');
  }
  if (spec.clusterIP === 'None')
    s.warn(
      'a headless Service: skyfleet balances through its listener, it publishes no per-replica addresses',
      'clusterIP',
    );
  target.doc.spec.service = service as ServiceDoc;
  scope.note(`Service ${svcName} is the service (listener) of deployment ${depName}`);
  warnUnhandled(
    ps,
    first,
    ['port', 'targetPort', 'protocol'],
    {
      name: "skyfleet's listener has no port name",
      nodePort: 'skyfleet has no nodes: the listener binds service.port',
      appProtocol: "skyfleet's listener speaks HTTP",
    },
    'not a field of a skyfleet service',
  );
  for (let i = 1; i < ports.length; i++)
    s.warn(
      `skyfleet's service has one listener: only the first port (${first.port}) is served; run another deployment for this one`,
      'ports',
      i,
    );
  warnUnhandled(
    s,
    spec,
    ['selector', 'ports', 'type', ...(spec.clusterIP === 'None' ? ['clusterIP'] : [])],
    SPEC_REASONS,
    'not a field of a skyfleet service',
  );
  warnUnhandled(
    scope.at('metadata'),
    meta,
    ['name'],
    {
      ...METADATA_REASONS,
      labels: `skyfleet's service is part of deployment ${depName}: a Service's own labels have no place`,
      annotations: `skyfleet's service is part of deployment ${depName}: a Service's own annotations have no place`,
    },
    'not a field of skyfleet metadata',
  );
}

/** Whether `ref` names or numbers a declared port; an undeclared number is declared on the first container. */
function declarePort(containers: ContainerDoc[], ref: number | string): boolean {
  const ports = containers.flatMap((c) => c.ports ?? []);
  if (typeof ref === 'string') return ports.some((p) => p.name === ref);
  if (ports.some((p) => p.containerPort === ref)) return true;
  const c = containers[0]!;
  c.ports = [...(c.ports ?? []), { containerPort: ref }];
  return true;
}
