import { type Plain, type Scope, isPlain, show, warnUnhandled } from '../scope.js';
import type { DeploymentDoc } from '../skyfleet-types.js';
import { type ConvertedDeployment, convertDeployment } from './deployment.js';
import { convertHpa } from './hpa.js';
import { unsupportedKindMessage } from './other-kinds.js';
import { convertService } from './service.js';

/** A Kubernetes object and where it is in the input. */
export interface KubernetesObject {
  value: Plain;
  scope: Scope;
}

/** Kubernetes objects, `List` items flattened, each with its scope. */
export function flattenLists(value: Plain, scope: Scope): KubernetesObject[] {
  if (
    value.kind === 'List' ||
    (typeof value.kind === 'string' && value.kind.endsWith('List') && Array.isArray(value.items))
  ) {
    const items = Array.isArray(value.items) ? value.items : [];
    warnUnhandled(
      scope,
      value,
      ['apiVersion', 'kind', 'items'],
      { metadata: 'a List has no metadata of its own in skyfleet' },
      'not a field of a List',
    );
    return items.flatMap((item, i) => {
      if (!isPlain(item)) {
        scope.warn(`expected an object, got ${show(item)}`, 'items', i);
        return [];
      }
      return flattenLists(item, scope.at('items', i));
    });
  }
  return [{ value, scope }];
}

const DEPLOYMENT_VERSIONS = ['apps/v1', 'apps/v1beta1', 'apps/v1beta2', 'extensions/v1beta1'];
const HPA_VERSIONS = ['autoscaling/v2', 'autoscaling/v2beta2', 'autoscaling/v2beta1', 'autoscaling/v1'];

/**
 * Kubernetes objects as skyfleet Deployments: each Deployment, its Service (matched by selector)
 * and its HorizontalPodAutoscaler (by scaleTargetRef); every other kind is named in a warning.
 */
export function convertKubernetes(objects: readonly KubernetesObject[]): DeploymentDoc[] {
  const deployments: ConvertedDeployment[] = [];
  const later: Array<() => void> = [];
  for (const { value, scope } of objects) {
    const kind = typeof value.kind === 'string' ? value.kind : '';
    if (kind === 'Deployment' && DEPLOYMENT_VERSIONS.includes(String(value.apiVersion))) {
      const d = convertDeployment(scope, value);
      if (d) deployments.push(d);
      warnUnhandled(
        scope,
        value,
        ['apiVersion', 'kind', 'metadata', 'spec'],
        { status: 'observed state: ignored' },
        'not a field of a Deployment',
      );
    } else if (kind === 'Service' && value.apiVersion === 'v1') {
      later.push(() => {
        convertService(scope, value, deployments);
        warnUnhandled(
          scope,
          value,
          ['apiVersion', 'kind', 'metadata', 'spec'],
          { status: 'observed state: ignored' },
          'not a field of a Service',
        );
      });
    } else if (kind === 'HorizontalPodAutoscaler' && HPA_VERSIONS.includes(String(value.apiVersion))) {
      later.push(() => convertHpa(scope, value, deployments));
    } else {
      scope.warn(unsupportedKindMessage(kind || show(value.kind), value.apiVersion), 'kind');
    }
  }
  // Services and HPAs after every Deployment: they may come first in the file
  for (const f of later) f();
  const names = new Map<string, ConvertedDeployment>();
  const out: DeploymentDoc[] = [];
  for (const d of deployments) {
    const prev = names.get(d.doc.metadata.name);
    if (prev) {
      d.scope.warn(
        `deployment ${d.doc.metadata.name} is defined twice in this input (skyfleet has no namespaces): this one is not converted; rename it`,
        'metadata',
        'name',
      );
      continue;
    }
    names.set(d.doc.metadata.name, d);
    out.push(d.doc);
  }
  return out;
}
