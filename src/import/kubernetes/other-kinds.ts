/** Why a Kubernetes kind is not converted, and what skyfleet would need to run it. */
const WHY: Record<string, string> = {
  Pod: 'skyfleet runs replicas of a Deployment, not bare pods: wrap its spec in an apps/v1 Deployment (spec.template.spec)',
  ReplicaSet: 'skyfleet runs Deployments: write it as an apps/v1 Deployment with the same template',
  ReplicationController: 'skyfleet runs Deployments: write it as an apps/v1 Deployment with the same template',
  StatefulSet:
    'skyfleet runs interchangeable stateless replicas: it would need stable replica identities and persistent volumes (volumeClaimTemplates), which it has not; run the data store as a managed service, or as a Deployment if it keeps no state',
  DaemonSet: 'skyfleet has no nodes to run one replica on each: it would need a per-host placement',
  Job: 'skyfleet keeps long-running replicas: run-to-completion work would need a job runner',
  CronJob: 'skyfleet keeps long-running replicas: scheduled work would need a job runner',
  ConfigMap: 'skyfleet has no ConfigMaps: put the values in env (value:) of the containers that read them',
  Secret:
    "skyfleet reads secrets from each target's secret store: create the secret there and reference it with valueFrom.secretKeyRef (its data is not printed)",
  PersistentVolumeClaim: 'skyfleet mounts no volumes: keep state in a managed service',
  PersistentVolume: 'skyfleet mounts no volumes: keep state in a managed service',
  StorageClass: 'skyfleet mounts no volumes: keep state in a managed service',
  Ingress: "skyfleet routes through a deployment's own listener (spec.service): put a load balancer in front of it",
  Gateway: "skyfleet routes through a deployment's own listener (spec.service)",
  HTTPRoute: "skyfleet routes through a deployment's own listener (spec.service)",
  NetworkPolicy: "skyfleet does not filter traffic between replicas: use the provider's network rules",
  Namespace: 'skyfleet has no namespaces: a fleet is the scope of its deployments',
  ServiceAccount: 'skyfleet replicas have no Kubernetes identity: grant cloud access through the target',
  Role: 'skyfleet replicas have no Kubernetes API to access',
  ClusterRole: 'skyfleet replicas have no Kubernetes API to access',
  RoleBinding: 'skyfleet replicas have no Kubernetes API to access',
  ClusterRoleBinding: 'skyfleet replicas have no Kubernetes API to access',
  ServiceMonitor: 'skyfleet has no Prometheus operator: the controller serves its own metrics (/metrics)',
  PodMonitor: 'skyfleet has no Prometheus operator: the controller serves its own metrics (/metrics)',
  PodDisruptionBudget: "skyfleet's rollouts keep availability with strategy.rollingUpdate.maxUnavailable",
  LimitRange: 'skyfleet sizes each container by its own resources',
  ResourceQuota: 'skyfleet has no quotas',
  APIService: 'it extends the Kubernetes API, which skyfleet has not',
  CustomResourceDefinition: 'it extends the Kubernetes API, which skyfleet has not',
};

export function unsupportedKindMessage(kind: string, apiVersion: unknown): string {
  return `kind ${kind}${typeof apiVersion === 'string' ? ` (${apiVersion})` : ''} is not converted: ${
    WHY[kind] ?? 'skyfleet runs Deployments (with their Service and HorizontalPodAutoscaler), not this kind'
  }`;
}
