/**
 * Waiting for Cloud Run's long-running operations (CreateService, UpdateService, DeleteService):
 * polls on the provider's clock until done, each poll one SDK call with the bounded retry.
 */
import type { ServicesClient } from '@google-cloud/run';
import { ProviderError } from '../../src/errors/index.js';
import type { Clock } from '../../src/util/clock.js';
import { errorFacts, isRetryableFacts } from './errors.js';
import { type RetryPolicy, sleep, withRetry } from './retry.js';

/** A gax long-running Operation as far as the provider reads it. */
export interface LroLike {
  name?: string | null;
  done?: boolean | null;
  error?: unknown;
  result?: unknown;
}

export type LroKind = 'create' | 'update' | 'delete';

export interface OperationContext {
  target: string;
  clock: Clock;
  pollIntervalMs: number;
  /** Longest wait for one operation. */
  timeoutMs: number;
  retry: RetryPolicy;
  signal?: AbortSignal | undefined;
}

/**
 * Polls an operation to its end. Done with an error: a ProviderError carrying the operation's gRPC
 * code and message. Still running past `timeoutMs`: a retryable DEADLINE_EXCEEDED (the next apply
 * finds the service and converges).
 */
export async function awaitOperation(
  client: ServicesClient,
  kind: LroKind,
  first: LroLike,
  ctx: OperationContext,
): Promise<unknown> {
  const check = {
    create: (n: string) => client.checkCreateServiceProgress(n),
    update: (n: string) => client.checkUpdateServiceProgress(n),
    delete: (n: string) => client.checkDeleteServiceProgress(n),
  }[kind];
  const operation = `${kind}Service`;
  const deadline = ctx.clock.now() + ctx.timeoutMs;
  let op = first;
  while (!op.done) {
    if (ctx.clock.now() >= deadline) {
      throw new ProviderError(`operation ${op.name} still running after ${ctx.timeoutMs} ms`, {
        provider: 'gcp-cloud-run',
        target: ctx.target,
        retryable: true,
        providerCode: 'DEADLINE_EXCEEDED',
        operation,
      });
    }
    await sleep(ctx.clock, ctx.pollIntervalMs, ctx.target, ctx.signal);
    const name = op.name ?? '';
    op = await withRetry(() => check(name) as Promise<LroLike>, {
      target: ctx.target,
      operation: 'getOperation',
      policy: ctx.retry,
      clock: ctx.clock,
      signal: ctx.signal,
    });
  }
  if (op.error) {
    const f = errorFacts(op.error, ctx.clock.now());
    throw new ProviderError(`operation ${op.name} failed: ${f.message}`, {
      provider: 'gcp-cloud-run',
      target: ctx.target,
      retryable: isRetryableFacts(f),
      ...(f.code ? { providerCode: f.code } : {}),
      operation,
    });
  }
  return op.result;
}
