import type { ContainerInstanceManagementClient } from '@azure/arm-containerinstance';
import { currentCallScope } from '../../src/provider/kit/call-scope.js';

type PipelinePolicy = Parameters<ContainerInstanceManagementClient['pipeline']['addPolicy']>[0];

const CALL_LOG_POLICY = 'skyfleetAciCallLog';

/**
 * Adds the call-log policy to the client's pipeline after the retry policy, so it sees each
 * attempt: one call-log line per HTTP request (the call scope's recorder, from the provider kit),
 * and the last `x-ms-request-id` kept in the call scope for errors that carry no response (LRO
 * failures). Installed once per client; what to record where comes from the call scope, so
 * several providers may share one client.
 */
export function installCallLog(client: ContainerInstanceManagementClient): void {
  if (client.pipeline.getOrderedPolicies().some((p) => p.name === CALL_LOG_POLICY)) return;
  client.pipeline.addPolicy(callLogPolicy(), { afterPhase: 'Retry' });
}

function callLogPolicy(): PipelinePolicy {
  return {
    name: CALL_LOG_POLICY,
    async sendRequest(request, next) {
      const scope = currentCallScope();
      const done = scope?.recorder?.begin({
        method: request.method,
        url: request.url,
        headers: request.headers.toJSON(),
        body: request.body,
      });
      let status: number | null = null;
      try {
        const response = await next(request);
        status = response.status;
        const id = response.headers.get('x-ms-request-id');
        if (scope && id) scope.lastRequestId = id;
        return response;
      } catch (e) {
        const r = (e as { response?: { status?: number; headers?: { get(n: string): string | undefined } } }).response;
        status = r?.status ?? null;
        const id = r?.headers?.get('x-ms-request-id');
        if (scope && id) scope.lastRequestId = id;
        throw e;
      } finally {
        done?.(status);
      }
    },
  };
}
