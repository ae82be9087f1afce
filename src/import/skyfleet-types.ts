import type { DeploymentInput } from '../spec/deployment.js';

/** The skyfleet documents conversion writes (input form: defaults left to the schema). */
export type DeploymentDoc = DeploymentInput;
export type DeploymentSpecDoc = DeploymentDoc['spec'];
export type ContainerDoc = DeploymentSpecDoc['template']['containers'][number];
export type ProbeDoc = NonNullable<ContainerDoc['readinessProbe']>;
export type EnvVarDoc = NonNullable<ContainerDoc['env']>[number];
export type ContainerPortDoc = NonNullable<ContainerDoc['ports']>[number];
export type ResourcesDoc = NonNullable<ContainerDoc['resources']>;
export type StrategyDoc = NonNullable<DeploymentSpecDoc['strategy']>;
export type SpreadDoc = NonNullable<NonNullable<DeploymentSpecDoc['placement']>['spread']>[number];
export type AutoscalingDoc = NonNullable<DeploymentSpecDoc['autoscaling']>;
export type ServiceDoc = NonNullable<DeploymentSpecDoc['service']>;
