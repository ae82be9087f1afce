import type { DeploymentSpec } from '../spec/deployment.js';

/**
 * The count an apply records for an autoscaled deployment: `replicas` is the starting point of a
 * new one; an update keeps the count its autoscaler reached (an apply of the same file does not
 * undo the autoscaler, unlike `kubectl apply` of a Deployment with `replicas` under an HPA);
 * either way within [minReplicas, maxReplicas]. Without autoscaling, `replicas` as given.
 */
export function startingReplicas(spec: DeploymentSpec, prior: DeploymentSpec | undefined): number {
  const a = spec.autoscaling;
  if (!a) return spec.replicas;
  const from = prior?.autoscaling ? prior.replicas : spec.replicas;
  return Math.min(a.maxReplicas, Math.max(a.minReplicas, from));
}
