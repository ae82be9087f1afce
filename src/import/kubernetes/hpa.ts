import { type Plain, type Scope, isPlain, show, warnUnhandled } from '../scope.js';
import type { AutoscalingDoc } from '../skyfleet-types.js';
import type { ConvertedDeployment } from './deployment.js';
import { METADATA_REASONS } from './deployment.js';

type MetricDoc = AutoscalingDoc['metrics'][number];

const CUSTOM =
  'skyfleet scales on concurrency, requestsPerSecond, p99LatencyMs (measured at its listener), cpu and memory';

/**
 * An `autoscaling/v2` (or v1) HorizontalPodAutoscaler of a converted Deployment becomes its
 * `spec.autoscaling`: bounds, cpu/memory utilization targets and behavior, as Kubernetes.
 */
export function convertHpa(scope: Scope, raw: Plain, deployments: readonly ConvertedDeployment[]): void {
  const meta = isPlain(raw.metadata) ? raw.metadata : {};
  const hpaName = typeof meta.name === 'string' ? meta.name : '(unnamed)';
  const spec = isPlain(raw.spec) ? raw.spec : {};
  const s = scope.at('spec');
  const ref = isPlain(spec.scaleTargetRef) ? spec.scaleTargetRef : {};
  const target = ref.kind === 'Deployment' ? deployments.find((d) => d.sourceName === ref.name) : undefined;
  if (!target) {
    s.warn(
      `HorizontalPodAutoscaler ${hpaName} scales ${show(ref.kind)} ${show(ref.name)}, which is not a Deployment in this input: not converted (put the Deployment in the same file)`,
      ...(spec.scaleTargetRef !== undefined ? ['scaleTargetRef'] : []),
    );
    return;
  }
  const dep = target.doc;
  const depName = dep.metadata.name;
  if (dep.spec.autoscaling) {
    scope.warn(`deployment ${depName} already has autoscaling from another HorizontalPodAutoscaler: not converted`);
    return;
  }
  const metrics: MetricDoc[] = [];
  const requested = (r: 'cpu' | 'memory') => dep.spec.template.containers.every((c) => c.resources?.[r] !== undefined);
  const resourceMetric = (ms: Scope, name: unknown, t: Plain, container?: string) => {
    if (name !== 'cpu' && name !== 'memory') {
      ms.warn(`${CUSTOM}, not the resource ${show(name)}: this metric is left out`);
      return;
    }
    if (container !== undefined)
      ms.warn(
        `skyfleet measures ${name} over every container of a replica, not container ${show(container)} alone: the target applies to all`,
      );
    if (t.type !== 'Utilization' || typeof t.averageUtilization !== 'number') {
      ms.warn(
        `skyfleet's ${name} target is a utilization percentage of the request, not ${show(t.type)}: this metric is left out; use type Utilization`,
        'target',
        'type',
      );
      return;
    }
    if (!requested(name)) {
      ms.warn(
        `a ${name} utilization is a percentage of resources.requests.${name}, which not every container of ${depName} sets: this metric is left out; set the request`,
      );
      return;
    }
    metrics.push({ type: name, targetUtilization: t.averageUtilization });
  };
  if (typeof spec.targetCPUUtilizationPercentage === 'number') {
    resourceMetric(s.at('targetCPUUtilizationPercentage'), 'cpu', {
      type: 'Utilization',
      averageUtilization: spec.targetCPUUtilizationPercentage,
    });
  } else if (Array.isArray(spec.metrics)) {
    spec.metrics.forEach((m, i) => {
      const ms = s.at('metrics', i);
      if (!isPlain(m)) {
        ms.warn('expected a metric object: left out');
        return;
      }
      const body = typeof m.type === 'string' ? m[m.type.charAt(0).toLowerCase() + m.type.slice(1)] : undefined;
      if ((m.type === 'Resource' || m.type === 'ContainerResource') && isPlain(body)) {
        const t = isPlain(body.target) ? body.target : {};
        resourceMetric(
          ms.at(m.type === 'Resource' ? 'resource' : 'containerResource'),
          body.name,
          t,
          typeof body.container === 'string' ? body.container : undefined,
        );
        return;
      }
      const metricName = isPlain(body) && isPlain(body.metric) ? ` ${show(body.metric.name)}` : '';
      ms.warn(
        `${CUSTOM}; a ${show(m.type)} metric${metricName} is not one of them: left out; if it counts requests in flight, use { type: concurrency, target: N } with a service`,
        'type',
      );
    });
  } else if (spec.metrics === undefined) {
    // Kubernetes' default: 80% cpu
    resourceMetric(s, 'cpu', { type: 'Utilization', averageUtilization: 80 });
    if (metrics.length)
      scope.note(`HorizontalPodAutoscaler ${hpaName} lists no metric: 80% cpu, the Kubernetes default, is used`);
  }
  if (!metrics.length) {
    s.warn(
      `no metric of HorizontalPodAutoscaler ${hpaName} is one skyfleet scales on: deployment ${depName} gets no autoscaling, it runs spec.replicas`,
      ...(spec.metrics !== undefined ? ['metrics'] : []),
    );
    warnRest(scope, raw, meta, spec);
    return;
  }
  const a: Plain = { maxReplicas: spec.maxReplicas, metrics };
  if (spec.minReplicas !== undefined) a.minReplicas = spec.minReplicas;
  if (isPlain(spec.behavior)) a.behavior = convertBehavior(s.at('behavior'), spec.behavior);
  dep.spec.autoscaling = a as AutoscalingDoc;
  scope.note(`HorizontalPodAutoscaler ${hpaName} is the autoscaling of deployment ${depName}`);
  warnRest(scope, raw, meta, spec);
}

function warnRest(scope: Scope, raw: Plain, meta: Plain, spec: Plain): void {
  warnUnhandled(
    scope.at('spec'),
    spec,
    ['scaleTargetRef', 'minReplicas', 'maxReplicas', 'metrics', 'behavior', 'targetCPUUtilizationPercentage'],
    {},
    'not a field skyfleet has for autoscaling',
  );
  warnUnhandled(
    scope.at('metadata'),
    meta,
    ['name'],
    {
      ...METADATA_REASONS,
      labels: "skyfleet's autoscaling is part of its deployment: an HPA's own labels have no place",
      annotations: "skyfleet's autoscaling is part of its deployment: an HPA's own annotations have no place",
    },
    'not a field of skyfleet metadata',
  );
  warnUnhandled(
    scope,
    raw,
    ['apiVersion', 'kind', 'metadata', 'spec'],
    { status: 'observed state: ignored' },
    'not a field of an HPA',
  );
}

function convertBehavior(scope: Scope, raw: Plain): Plain {
  const out: Plain = {};
  for (const dir of ['scaleUp', 'scaleDown'] as const) {
    const r = raw[dir];
    if (!isPlain(r)) continue;
    const rules: Plain = {};
    for (const k of ['stabilizationWindowSeconds', 'policies', 'selectPolicy']) if (r[k] !== undefined) rules[k] = r[k];
    warnUnhandled(
      scope.at(dir),
      r,
      ['stabilizationWindowSeconds', 'policies', 'selectPolicy'],
      {},
      'not a field of scaling rules',
    );
    out[dir] = rules;
  }
  warnUnhandled(scope, raw, ['scaleUp', 'scaleDown'], {}, 'not a field of behavior');
  return out;
}
