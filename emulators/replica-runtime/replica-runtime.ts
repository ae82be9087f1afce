/**
 * What runs an emulated replica for real (`skyfleet emulate`): an ECS task or a Cloud Run
 * revision's instance as a local container whose ports are published on 127.0.0.1. Without one
 * (the tests' emulators), replicas exist only as state on the injected clock.
 *
 * Calls are synchronous and never throw: `start` and `stop` begin work in the background and
 * `status` answers from what the runtime last saw, as a cloud's control plane answers from its own
 * view of its hosts.
 */
export interface ReplicaRuntime {
  /** Starts a replica (once per key). */
  start(spec: ReplicaSpec): void;
  /** Stops and removes a replica (a no-op for an unknown key). */
  stop(key: string): void;
  /** What the replica does now; undefined before its container exists. */
  status(key: string): ReplicaStatus | undefined;
}

export interface ReplicaSpec {
  /** Unique per replica: the task id, the revision name. */
  key: string;
  /** Which cloud it stands for (a label on the container). */
  cloud: 'aws-ecs' | 'azure-aci' | 'gcp-cloud-run';
  image: string;
  env: Record<string, string>;
  /** Container ports to publish (TCP). */
  ports: number[];
  command?: string[];
  /** Running only once its first port answers HTTP (any status): Cloud Run's default startup check. */
  readyWhenHttp?: boolean;
  /**
   * An HTTP probe the platform runs from outside the container (an ACI readiness probe's
   * `httpGet`): GET this container port and path at each poll; 200-399 passes (`probePassing`).
   */
  httpProbe?: { port: number; path: string };
  /** A health check as Docker runs it (ECS `healthCheck.command` has Docker's form: CMD-SHELL ...). */
  healthCheck?: {
    test: string[];
    intervalSeconds: number;
    timeoutSeconds: number;
    retries: number;
    startPeriodSeconds: number;
  };
}

export interface ReplicaStatus {
  phase: 'starting' | 'running' | 'exited';
  /** The health check's verdict; undefined without a health check or before its first result. */
  healthy?: boolean;
  /** The `httpProbe`'s last verdict; undefined without one or before the container runs. */
  probePassing?: boolean;
  exitCode?: number;
  /** Why it stopped or could not start (e.g. the image is not on this machine). */
  reason?: string;
  /** Container port -> host port on 127.0.0.1. */
  ports: ReadonlyMap<number, number>;
}
