import type { RolloutState } from '../rollout/types.js';
import type { Deployment, PlacementPolicy, PodTemplate } from '../spec/deployment.js';
import type { FleetSpec } from '../spec/fleet.js';

export interface DeploymentRecord {
  name: string;
  spec: Deployment;
  /** The revision the spec's template hashes to. */
  revision: string;
  /** Bumped on every change of spec. */
  generation: number;
  /**
   * The change feed's sequence number of the last change of this record (stores with a feed,
   * schema 6); grows on every change, across deployments.
   */
  resourceVersion?: number;
  updatedAt: number;
}

export interface RevisionRecord {
  deployment: string;
  revision: string;
  /** 1, 2, 3... in order of first apply, like `kubectl rollout history`. */
  number: number;
  template: PodTemplate;
  createdAt: number;
  /**
   * Why the revision was made, from the applied spec's `skyfleet.dev/change-cause` annotation
   * when it was first recorded (a sync: the source and commit), as kubectl's CHANGE-CAUSE.
   */
  cause?: string;
  /**
   * The placement policy of the latest spec applied with this revision: where its own spec puts
   * it (a Canary or BlueGreen rollout keeps its stable revision there). Absent on records made
   * before schema 9.
   */
  placement?: PlacementPolicy;
}

export type EventType = 'Normal' | 'Warning';

export interface EventRecord {
  id?: number;
  time: number;
  deployment: string | null;
  type: EventType;
  reason: string;
  message: string;
}

/** A deployment condition, as Kubernetes reports them: Available, Progressing, Degraded. */
export interface Condition {
  type: 'Available' | 'Progressing' | 'Degraded';
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  /** When status last changed (epoch ms). */
  lastTransitionTime: number;
}

/**
 * The fleet (its Fleet document) recorded at apply, so later commands without a config find it.
 * Never holds a secret: settings that may hold credentials are left out before it is written,
 * and `withheld` names where they were (a fleet with any cannot be used from the record alone).
 */
export interface FleetRecord {
  name: string;
  spec: FleetSpec;
  /** Paths of the settings left out, e.g. `targets[1].credentials`. */
  withheld: string[];
  /** Where the fleet came from at apply (a file name), for messages. */
  source: string;
  recordedAt: number;
}

/** A held lease: who holds it, the fencing token of this holding, and when it lapses. */
export interface Lease {
  name: string;
  holder: string;
  /** Grows by one every time the lease changes hands; mutations check it. */
  token: number;
  expiresAt: number;
}

/**
 * Durable state that is not in the clouds: applied specs, revision history, events. Observed
 * state is never read from here; it is always re-read from the providers.
 */
export interface Store {
  getDeployment(name: string): Promise<DeploymentRecord | undefined>;
  listDeployments(): Promise<DeploymentRecord[]>;
  /**
   * Records a deployment's desired state; the generation grows when the spec differs. With
   * `expectGeneration`, a compare-and-set: the write happens only if the stored generation is
   * that one (`null`: only if there is no record), else a `conflict` error naming what is stored
   * (no lost update between two writers).
   */
  putDeployment(
    record: Omit<DeploymentRecord, 'generation'>,
    options?: { expectGeneration?: number | null },
  ): Promise<DeploymentRecord>;
  deleteDeployment(name: string): Promise<void>;
  /**
   * Records a revision (idempotent: the first record's number and cause are kept; the placement
   * is the latest given) and returns it.
   */
  putRevision(
    deployment: string,
    revision: string,
    template: PodTemplate,
    at: number,
    cause?: string,
    placement?: PlacementPolicy,
  ): Promise<RevisionRecord>;
  getRevision(deployment: string, revision: string): Promise<RevisionRecord | undefined>;
  listRevisions(deployment: string): Promise<RevisionRecord[]>;
  /** Keeps the newest `keep` revisions and any in `live`; drops the rest. */
  pruneRevisions(deployment: string, keep: number, live: ReadonlySet<string>): Promise<void>;
  addEvent(event: EventRecord): Promise<void>;
  /** Conditions of a deployment (replaced whole). */
  putConditions(deployment: string, conditions: readonly Condition[]): Promise<void>;
  getConditions(deployment: string): Promise<Condition[]>;
  /**
   * Takes the lease if it is free or lapsed (a new token), or renews it if `holder` holds it
   * (same token). Returns undefined when someone else holds it.
   */
  acquireLease(name: string, holder: string, ttlMs: number, now: number): Promise<Lease | undefined>;
  /** True while `holder` still holds the lease with this token and it has not lapsed. */
  checkLease(name: string, holder: string, token: number, now: number): Promise<boolean>;
  /** Gives the lease up at once (a graceful shutdown), if `holder` holds it. */
  releaseLease(name: string, holder: string): Promise<void>;
  getLease(name: string): Promise<Lease | undefined>;
  /** The BlueGreen/Canary rollout of a deployment, if one was started. */
  getRollout(deployment: string): Promise<RolloutState | undefined>;
  putRollout(deployment: string, state: RolloutState): Promise<void>;
  /**
   * What the autoscaler of a deployment keeps between passes and across controller restarts
   * (its recommendation history, scale events, panic state) as JSON; the autoscaler checks what
   * it reads back. Removed with the deployment.
   */
  getAutoscalerState(deployment: string): Promise<unknown>;
  putAutoscalerState(deployment: string, state: unknown): Promise<void>;
  listEvents(filter?: { deployment?: string; limit?: number }): Promise<EventRecord[]>;
  /** The fleet recorded at apply, if any. */
  getFleet(): Promise<FleetRecord | undefined>;
  /**
   * The store's key for hashing secret values into revision ids (HMAC-SHA256): 32 random bytes
   * made on first use, the same for every process sharing the store (concurrent first uses agree).
   * Never leaves the store but as a hash input.
   */
  secretKey(): Promise<Buffer>;
  /** Records the fleet (replacing the one recorded before). */
  putFleet(record: FleetRecord): Promise<void>;
  close(): Promise<void>;
}

export const REVISION_HISTORY = 10;
