/**
 * What ECS reports when a service cannot start its tasks, and when skyfleet asks it to try again
 * (pure decisions; the provider keeps the state and makes the calls).
 *
 * - The deployment circuit breaker marks a deployment `rolloutState: FAILED` once enough of its
 *   tasks failed to start (threshold clamp(ceil(0.5 x desired), 3, 200)) and then launches no more
 *   of them (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentCircuitBreaker.html,
 *   API_ServiceDeploymentCircuitBreaker.html). Nothing retries it: a cause fixed outside ECS (a NAT
 *   gateway, a public IP, an image pushed) is picked up only by a new deployment, so the provider
 *   forces one (UpdateService forceNewDeployment) with exponential backoff.
 * - Tasks that stop before they run, with one of ECS's stopped-task errors
 *   (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stopped-task-error-codes.html),
 *   or whose essential container keeps exiting, are failing, not pending.
 */
import type { Service, Task } from '@aws-sdk/client-ecs';

/** Stopped reasons that mean a task cannot start as configured (image, secrets, network, runtime). */
const START_ERROR =
  /^(CannotPullContainerError|CannotStartContainerError|CannotCreateContainerError|CannotInspectContainerError|ResourceInitializationError|ContainerRuntimeError|ContainerRuntimeTimeoutError|CannotStopContainerError)\b/;

/**
 * Whether a stopped task stopped because it could not start or its essential container exited:
 * one of the start errors, or the stop codes `TaskFailedToStart` (e.g. "Capacity is unavailable
 * at this time" in a zone that has none) and `EssentialContainerExited` (API reference, Task
 * stopCode). Scaling, deployments and users stop tasks with other codes.
 */
export function stoppedForCause(task: Task): boolean {
  return (
    START_ERROR.test(task.stoppedReason ?? '') ||
    task.stopCode === 'EssentialContainerExited' ||
    task.stopCode === 'TaskFailedToStart'
  );
}

/**
 * Tasks keep stopping: at least two of the recent stopped tasks (newest first) stopped for a cause
 * (not scaling or a deployment), the newest among them.
 */
export function keepsStopping(recentStopped: readonly Task[]): boolean {
  const caused = recentStopped.filter(stoppedForCause);
  return caused.length >= 2 && recentStopped[0] !== undefined && stoppedForCause(recentStopped[0]);
}

/** The primary deployment's circuit-breaker failure, if it tripped. */
export function deploymentFailure(service: Service): { deploymentId: string; reason: string } | undefined {
  const primary = service.deployments?.find((d) => d.status === 'PRIMARY') ?? service.deployments?.[0];
  if (primary?.rolloutState !== 'FAILED') return undefined;
  return {
    deploymentId: primary.id ?? 'unknown',
    reason: primary.rolloutStateReason ?? 'ECS deployment circuit breaker: tasks failed to start.',
  };
}

export interface RetryPolicy {
  /** Wait after a failure is first seen before the first new deployment. */
  baseMs: number;
  /** Longest wait between two new deployments. */
  maxMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { baseMs: 30_000, maxMs: 15 * 60_000 };

/** Wait before the next new deployment after `attempts` of them failed: base x 2^attempts, capped. */
export function retryDelayMs(attempts: number, policy: RetryPolicy = DEFAULT_RETRY_POLICY): number {
  return Math.min(policy.maxMs, policy.baseMs * 2 ** attempts);
}

/**
 * New deployments forced per service after circuit-breaker failures, kept where ECS keeps the
 * service, so a restarted controller goes on with the same backoff: the wait runs from when the
 * failed deployment was last updated (its `updatedAt`: when the breaker tripped), and the number of
 * new deployments already forced is the service's `skyfleet.dev/forced-deployments` tag,
 * `<attempts> <deployment id>`, written after each (it counts only while the failing deployment is
 * the one it names: any other deployment, such as a new revision's, starts again from 0).
 */
export class DeploymentRetries {
  /** When a failure was first seen, for a deployment that reports no `updatedAt`. */
  private readonly firstSeen = new Map<string, { deploymentId: string; since: number }>();
  /** The tag this instance wrote last per service, until reads show it (tags show late). */
  private readonly written = new Map<string, string>();

  constructor(private readonly policy: RetryPolicy = DEFAULT_RETRY_POLICY) {}

  /** True when a forced new deployment of the service is due now. */
  due(service: Service, now: number): boolean {
    const name = service.serviceName ?? '';
    const failure = deploymentFailure(service);
    if (!failure) {
      this.firstSeen.delete(name);
      return false;
    }
    const primary = service.deployments?.find((d) => d.status === 'PRIMARY') ?? service.deployments?.[0];
    let since = primary?.updatedAt ? new Date(primary.updatedAt).getTime() : undefined;
    if (since === undefined) {
      const seen = this.firstSeen.get(name);
      if (seen?.deploymentId !== failure.deploymentId)
        this.firstSeen.set(name, { deploymentId: failure.deploymentId, since: now });
      since = this.firstSeen.get(name)!.since;
    }
    return now - since >= retryDelayMs(this.attempts(service, failure.deploymentId), this.policy);
  }

  /** The tag to write after forcing a new deployment of `service` (its answer names the new one). */
  retriedTag(before: Service, after: Service | undefined): { key: string; value: string } | undefined {
    const failure = deploymentFailure(before);
    const next = after?.deployments?.find((d) => d.status === 'PRIMARY')?.id;
    if (!failure || !next) return undefined;
    const value = `${this.attempts(before, failure.deploymentId) + 1} ${next}`;
    this.written.set(before.serviceName ?? '', value);
    return { key: FORCED_DEPLOYMENTS_TAG, value };
  }

  /** New deployments forced so far while `deploymentId` fails: the tag's count when it names it. */
  private attempts(service: Service, deploymentId: string): number {
    const read = service.tags?.find((t) => t.key === FORCED_DEPLOYMENTS_TAG)?.value;
    return Math.max(countFor(read, deploymentId), countFor(this.written.get(service.serviceName ?? ''), deploymentId));
  }
}

export const FORCED_DEPLOYMENTS_TAG = 'skyfleet.dev/forced-deployments';

function countFor(value: string | undefined, deploymentId: string): number {
  const m = /^(\d+) (\S+)$/.exec(value ?? '');
  return m && m[2] === deploymentId ? Number(m[1]) : 0;
}
