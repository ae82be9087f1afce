import { type Plain, type Scope, isPlain, show, warnUnhandled } from '../scope.js';
import type { ContainerDoc, DeploymentDoc } from '../skyfleet-types.js';
import { API_VERSION } from '../../spec/deployment.js';
import { skyfleetName } from '../names.js';
import { convertContainer } from './container.js';
import { convertSpread } from './spread.js';
import { convertStrategy } from './strategy.js';

/** A converted Deployment, with what Services and HPAs are matched against. */
export interface ConvertedDeployment {
  /** The name in the input (what an HPA's scaleTargetRef names). */
  sourceName: string;
  doc: DeploymentDoc;
  /** The pod template's labels (what a Service's selector matches). */
  podLabels: Record<string, string>;
  scope: Scope;
}

export const METADATA_REASONS: Record<string, string> = {
  namespace:
    'skyfleet has no namespaces: a fleet is the scope of its deployments (use one fleet per namespace if names collide)',
  generateName: 'skyfleet needs a fixed name: set metadata.name',
  uid: 'assigned by the cluster',
  resourceVersion: 'assigned by the cluster',
  generation: 'assigned by the cluster',
  creationTimestamp: 'assigned by the cluster',
  deletionTimestamp: 'assigned by the cluster',
  deletionGracePeriodSeconds: 'assigned by the cluster',
  managedFields: 'assigned by the cluster',
  selfLink: 'assigned by the cluster',
  ownerReferences: 'skyfleet has no owner references: each deployment stands alone',
  finalizers: 'skyfleet has no finalizers',
};

const POD_REASONS: Record<string, string> = {
  volumes: 'skyfleet runs stateless replicas and mounts no volumes: keep state in a managed service',
  initContainers: 'skyfleet has no init containers: do the work in the entrypoint',
  nodeSelector: 'skyfleet has no nodes: choose targets instead (placement.targets)',
  affinity: 'skyfleet has no nodes: choose targets (placement.targets) and spread (placement.spread) instead',
  tolerations: 'skyfleet has no nodes or taints',
  nodeName: 'skyfleet has no nodes: choose targets instead (placement.targets)',
  serviceAccountName: 'skyfleet gives replicas no Kubernetes identity: grant cloud access through the target',
  serviceAccount: 'skyfleet gives replicas no Kubernetes identity: grant cloud access through the target',
  automountServiceAccountToken: 'skyfleet gives replicas no Kubernetes identity',
  securityContext: "skyfleet runs containers with the provider's defaults: a security context is not supported",
  imagePullSecrets: "skyfleet pulls with the target's registry credentials: configure them on the target",
  terminationGracePeriodSeconds: "skyfleet stops a replica with its provider's own grace period",
  restartPolicy: 'skyfleet always restarts a replica that stops (as restartPolicy: Always)',
  dnsPolicy: "skyfleet replicas use the provider's DNS",
  dnsConfig: "skyfleet replicas use the provider's DNS",
  hostname: 'skyfleet names replicas itself',
  subdomain: 'skyfleet names replicas itself',
  hostNetwork: 'skyfleet replicas run on the provider network',
  hostPID: 'skyfleet replicas share nothing with a host',
  hostIPC: 'skyfleet replicas share nothing with a host',
  priorityClassName: 'skyfleet has no priority classes',
  runtimeClassName: 'skyfleet uses the runtime of the provider',
  schedulerName: 'skyfleet places replicas itself',
  ephemeralContainers: 'skyfleet has no ephemeral containers',
  shareProcessNamespace: 'skyfleet does not share process namespaces',
};

/** An `apps/v1` Deployment as a skyfleet Deployment. */
export function convertDeployment(scope: Scope, raw: Plain): ConvertedDeployment | undefined {
  const meta = isPlain(raw.metadata) ? raw.metadata : {};
  const sourceName = typeof meta.name === 'string' ? meta.name : '';
  if (!sourceName) {
    scope.warn('a Deployment without metadata.name is not converted: name it', 'metadata');
    return undefined;
  }
  const spec = isPlain(raw.spec) ? raw.spec : undefined;
  const podSpec = spec && isPlain(spec.template) && isPlain(spec.template.spec) ? spec.template.spec : undefined;
  if (!spec || !podSpec || !Array.isArray(podSpec.containers)) {
    scope.warn('a Deployment without spec.template.spec.containers is not converted', 'spec');
    return undefined;
  }
  const { name, changed } = skyfleetName(sourceName);
  if (changed)
    scope.warn(`${show(sourceName)} is not a skyfleet name: the deployment is named "${name}"`, 'metadata', 'name');
  const metadata: Plain = { name };
  if (isPlain(meta.labels)) metadata.labels = meta.labels;
  if (isPlain(meta.annotations)) metadata.annotations = meta.annotations;
  warnUnhandled(
    scope.at('metadata'),
    meta,
    ['name', 'labels', 'annotations'],
    METADATA_REASONS,
    'not a field of skyfleet metadata',
  );
  const s = scope.at('spec');
  const out: Plain = {};
  if (spec.replicas !== undefined) out.replicas = spec.replicas;
  if (spec.progressDeadlineSeconds !== undefined) out.progressDeadlineSeconds = spec.progressDeadlineSeconds;
  if (spec.strategy !== undefined) {
    const st = convertStrategy(s.at('strategy'), spec.strategy);
    if (st) out.strategy = st;
  }
  const template = spec.template as Plain;
  const tmeta = isPlain(template.metadata) ? template.metadata : {};
  const podLabels = (isPlain(tmeta.labels) ? tmeta.labels : {}) as Record<string, string>;
  checkSelector(s.at('selector'), spec.selector, podLabels);
  warnUnhandled(
    s,
    spec,
    ['replicas', 'progressDeadlineSeconds', 'strategy', 'template', 'selector'],
    {
      minReadySeconds: 'skyfleet counts a replica available as soon as it is ready: minReadySeconds is not supported',
      revisionHistoryLimit: 'skyfleet keeps its own revision history (rollout history)',
      paused: 'skyfleet pauses progressive rollouts with `skyfleet rollout pause`, not in the spec',
    },
    'not a field of a skyfleet deployment spec',
  );
  const ts = s.at('template');
  const tm: Plain = {};
  if (isPlain(tmeta.labels)) tm.labels = tmeta.labels;
  if (isPlain(tmeta.annotations)) tm.annotations = tmeta.annotations;
  warnUnhandled(
    ts.at('metadata'),
    tmeta,
    ['labels', 'annotations'],
    METADATA_REASONS,
    'not a field of template metadata',
  );
  warnUnhandled(ts, template, ['metadata', 'spec'], {}, 'not a field of a pod template');
  const ps = ts.at('spec');
  const containers = (podSpec.containers as unknown[])
    .map((c, i) => convertContainer(ps.at('containers', i), c, i))
    .filter((c): c is ContainerDoc => c !== undefined);
  if (!containers.length) {
    scope.warn(
      'no container could be converted: the Deployment is not converted',
      'spec',
      'template',
      'spec',
      'containers',
    );
    return undefined;
  }
  out.template = { ...(Object.keys(tm).length ? { metadata: tm } : {}), containers };
  if (podSpec.topologySpreadConstraints !== undefined) {
    const spread = convertSpread(ps.at('topologySpreadConstraints'), podSpec.topologySpreadConstraints);
    if (spread.length) out.placement = { spread };
  }
  warnUnhandled(ps, podSpec, ['containers', 'topologySpreadConstraints'], POD_REASONS, 'not supported by skyfleet');
  const doc = { apiVersion: API_VERSION, kind: 'Deployment', metadata, spec: out } as DeploymentDoc;
  return { sourceName, doc, podLabels, scope };
}

/** The selector picks the template's own pods (skyfleet's deployment owns its replicas). */
function checkSelector(scope: Scope, raw: unknown, podLabels: Record<string, string>): void {
  if (raw === undefined) return;
  if (!isPlain(raw)) {
    scope.warn(`expected { matchLabels }, got ${show(raw)}`);
    return;
  }
  const labels = isPlain(raw.matchLabels) ? raw.matchLabels : {};
  for (const [k, v] of Object.entries(labels))
    if (podLabels[k] !== v)
      scope.warn(
        `the template's labels do not have ${k}=${String(v)}: skyfleet's deployment owns exactly its template's replicas, whatever the selector`,
        'matchLabels',
        k,
      );
  if (raw.matchExpressions !== undefined)
    scope.warn(
      "skyfleet's deployment owns exactly its template's replicas: match expressions are not evaluated",
      'matchExpressions',
    );
  warnUnhandled(scope, raw, ['matchLabels', 'matchExpressions'], {}, 'not a field of a label selector');
}
