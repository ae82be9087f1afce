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
 * New deployments forced per service after circuit-breaker failures: when each is due, and how
 * many were tried (reset once a deployment of the service completes).
 */
export class DeploymentRetries {
  private readonly byService = new Map<string, { deploymentId: string; since: number; attempts: number }>();

  constructor(private readonly policy: RetryPolicy = DEFAULT_RETRY_POLICY) {}

  /** Records what the service shows now; true when a forced new deployment is due. */
  due(service: Service, now: number): boolean {
    const name = service.serviceName ?? '';
    const failure = deploymentFailure(service);
    if (!failure) {
      const primary = service.deployments?.find((d) => d.status === 'PRIMARY');
      if (primary?.rolloutState === 'COMPLETED') this.byService.delete(name);
      return false;
    }
    let r = this.byService.get(name);
    if (!r || r.deploymentId !== failure.deploymentId) {
      r = { deploymentId: failure.deploymentId, since: now, attempts: r?.attempts ?? 0 };
      this.byService.set(name, r);
    }
    return now - r.since >= retryDelayMs(r.attempts, this.policy);
  }

  /** A new deployment was forced. */
  retried(serviceName: string): void {
    const r = this.byService.get(serviceName);
    if (r) r.attempts += 1;
  }

  forget(serviceName: string): void {
    this.byService.delete(serviceName);
  }
}
