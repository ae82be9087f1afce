import { DescribeClustersCommand } from '@aws-sdk/client-ecs';
import { ProviderError } from '../../src/errors/index.js';
import type { CallCtx, EcsApi } from './api.js';
import type { AwsEcsTargetSettings } from './settings.js';

/**
 * The cluster exists and has the capacity provider the services use (DescribeClusters): a cluster
 * made without "AWS Fargate" has none, and every CreateService would fail. Read once per
 * provider: at admission (`preflight`, before anything is written on any target), else before the
 * first create; a failure is a terminal error with the command that fixes it.
 */
export class ClusterCheck {
  private checked = false;

  constructor(
    private readonly settings: Pick<AwsEcsTargetSettings, 'name' | 'cluster' | 'capacityProvider' | 'region'>,
    private readonly api: () => EcsApi,
  ) {}

  async check(ctx: CallCtx): Promise<void> {
    if (this.checked) return;
    const { cluster, capacityProvider, name: target } = this.settings;
    const res = await this.api().send<{
      clusters?: Array<{ status?: string; capacityProviders?: string[]; clusterName?: string }>;
    }>('DescribeClusters', new DescribeClustersCommand({ clusters: [cluster] }), ctx);
    const found = res.clusters?.[0];
    const terminal = (message: string, providerCode: string) =>
      new ProviderError(message, {
        provider: 'aws-ecs',
        target,
        retryable: false,
        providerCode,
        operation: 'DescribeClusters',
      });
    if (found?.status !== 'ACTIVE')
      throw terminal(
        `cluster ${cluster} does not exist in ${this.settings.region}${found?.status ? ` (status ${found.status})` : ''}; create it (aws ecs create-cluster --cluster-name ${cluster} --capacity-providers FARGATE FARGATE_SPOT) or fix targets[].cluster of target ${target}`,
        'ClusterNotFoundException',
      );
    const attached = found.capacityProviders ?? [];
    if (!attached.includes(capacityProvider))
      throw terminal(
        `cluster ${cluster} has no ${capacityProvider} capacity provider (attached: ${attached.join(', ') || 'none'}); attach it: aws ecs put-cluster-capacity-providers --cluster ${cluster} --capacity-providers FARGATE FARGATE_SPOT --default-capacity-provider-strategy capacityProvider=FARGATE,weight=1`,
        'CapacityProviderNotAttached',
      );
    this.checked = true;
  }
}
