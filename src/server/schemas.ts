import { z } from 'zod';
import { deployment } from '../spec/deployment.js';

// The API's response bodies as zod schemas: the OpenAPI document is generated from them, and the
// deployment documents are the spec's own schema. Nested reports the API passes through as the
// SDK returns them (placement, observed slices) are open objects.

const int = z.number().int();
const open = z.looseObject({});

export const errorBody = z.strictObject({
  error: z.strictObject({
    code: z.string(),
    message: z.string(),
    fields: z.array(z.strictObject({ path: z.string(), message: z.string() })),
    retryable: z.boolean().optional(),
    source: z.string().optional(),
  }),
});

export const deploymentRecord = z.strictObject({
  name: z.string(),
  spec: open,
  revision: z.string(),
  generation: int,
  resourceVersion: int,
  updatedAt: int,
});

export const deploymentList = z.strictObject({ items: z.array(deploymentRecord), resourceVersion: int });

const domainProgress = z.looseObject({
  target: z.string(),
  zone: z.string(),
  desired: int,
  current: int,
  ready: int,
  old: int,
});

export const progress = z.looseObject({
  deployment: z.string(),
  revision: z.string(),
  replicas: int,
  ready: int,
  domains: z.array(domainProgress),
  phase: z.string(),
});

export const convergeResult = z.looseObject({
  deployment: z.string(),
  revision: z.string(),
  placement: open,
  writes: int,
  actions: z.array(open),
  progress,
  byController: z.boolean().optional(),
  created: z.boolean().optional(),
  generation: int.optional(),
  resourceVersion: int.optional(),
});

export const applyResult = z.strictObject({ items: z.array(convergeResult) });

export const validateResult = z.strictObject({ items: z.array(open) });

export const planResult = z.looseObject({
  deployment: z.string(),
  revision: z.string(),
  previousRevision: z.string().optional(),
  placement: open,
  steps: z.array(z.array(open)),
  converges: z.boolean(),
});

export const planList = z.strictObject({ items: z.array(planResult) });

export const deploymentStatus = z.looseObject({
  name: z.string(),
  revision: z.string(),
  revisionNumber: int.optional(),
  generation: int,
  replicas: int,
  ready: int,
  current: int,
  domains: z.array(domainProgress),
  slices: z.array(open),
  conditions: z.array(open),
});

export const revisionRecord = z.strictObject({
  deployment: z.string(),
  revision: z.string(),
  number: int,
  template: open,
  createdAt: int,
  cause: z.string().optional(),
  /** The placement policy of the latest spec applied with this revision. */
  placement: open.optional(),
});

export const revisionList = z.strictObject({ items: z.array(revisionRecord) });

export const eventRecord = z.strictObject({
  id: int.optional(),
  time: int,
  deployment: z.string().nullable(),
  type: z.enum(['Normal', 'Warning']),
  reason: z.string(),
  message: z.string(),
});

export const eventList = z.strictObject({ items: z.array(eventRecord), resourceVersion: int });

export const rolloutState = z.looseObject({
  strategy: z.enum(['BlueGreen', 'Canary']),
  stable: z.string().nullable(),
  canary: z.string(),
  step: int,
  phase: z.enum(['Progressing', 'Paused', 'Completed', 'Aborted']),
  message: z.string(),
});

export const rolloutStatus = z.strictObject({
  deployment: z.string(),
  strategy: z.string(),
  state: rolloutState.optional(),
  status: deploymentStatus,
});

export const autoscalingView = z.strictObject({ autoscaling: open.nullable() });

export const revisionTraffic = z.looseObject({
  revision: z.string(),
  windowMs: int,
  requests: int,
  errors: int,
  successRate: z.number(),
  p50Ms: z.number(),
  p99Ms: z.number(),
  requestsPerSecond: z.number(),
});

export const trafficView = z.strictObject({
  deployment: z.string(),
  windowMs: int,
  /** Whether this server's controller runs a listener for the deployment (spec.service). */
  served: z.boolean(),
  at: int,
  items: z.array(revisionTraffic),
});

export const describeResult = z.strictObject({
  record: deploymentRecord,
  status: deploymentStatus,
  history: z.array(revisionRecord),
  events: z.array(eventRecord),
  autoscaling: open.nullable(),
});

export const deleteResult = z.strictObject({
  deployment: z.string(),
  removed: z.array(z.strictObject({ target: z.string(), zone: z.string(), revision: z.string(), replicas: int })),
});

export const targetView = z.strictObject({
  target: z.string(),
  kind: z.string(),
  topology: open,
  capabilities: open,
  maxReplicasPerZone: int.optional(),
  health: z.array(open).nullable(),
  healthError: z.string().optional(),
});

export const targetList = z.strictObject({ items: z.array(targetView) });

const tokenRole = z.enum(['viewer', 'deployer', 'admin']);

export const tokenView = z.strictObject({
  id: z.string(),
  name: z.string(),
  role: tokenRole,
  createdAt: int,
  expiresAt: int.nullable(),
  revokedAt: int.nullable(),
});

export const tokenList = z.strictObject({ items: z.array(tokenView) });
export const tokenCreated = z.strictObject({ token: z.string(), record: tokenView });
export const tokenRevoked = z.strictObject({ revoked: z.string() });

export const auditRecord = z.strictObject({
  id: int.optional(),
  time: int,
  who: z.string(),
  what: z.string(),
  from: z.string(),
  status: int,
  revision: z.string().nullable(),
});

export const auditList = z.strictObject({ items: z.array(auditRecord) });

export const schemaDoc = open;
export const health = z.strictObject({ status: z.literal('ok') });

// request bodies
export const scaleRequest = z.strictObject({ replicas: int.min(0) });
export const migrateRequest = z.strictObject({ to: z.array(z.string()).min(1), from: z.array(z.string()).optional() });
export const undoRequest = z.strictObject({ toRevision: int.min(1).optional() });
export const tokenRequest = z.strictObject({
  role: tokenRole,
  name: z.string().min(1).max(100).optional(),
  ttlSeconds: int.min(1).optional(),
});

/** The documents apply, plan and validate take (YAML or JSON; several YAML documents, or a JSON array). */
export const deploymentDocuments = z.union([deployment, z.array(deployment)]);

export const fleetInfo = z.strictObject({ name: z.string() });

// git sources (skyfleet sync): never the webhook secret, only whether there is one
const issue = z.strictObject({ path: z.string(), message: z.string() });
const syncError = z.strictObject({
  kind: z.enum(['invalid', 'failed']),
  commit: z.string().nullable(),
  at: int,
  message: z.string(),
  issues: z.array(issue),
});
const fieldDrift = z.strictObject({ path: z.string(), git: z.unknown(), store: z.unknown() });

export const gitSourceView = z.strictObject({
  name: z.string(),
  repo: z.string(),
  branch: z.string(),
  path: z.string(),
  intervalMs: int,
  prune: z.boolean(),
  hasWebhookSecret: z.boolean(),
  lastSeenCommit: z.string().nullable(),
  lastSyncedCommit: z.string().nullable(),
  lastError: syncError.nullable(),
  lastCheckAt: int.nullable(),
  createdAt: int,
  updatedAt: int,
  deployments: z.array(z.strictObject({ name: z.string(), file: z.string() })),
});
export const gitSourceList = z.strictObject({ items: z.array(gitSourceView) });
export const gitSourceStatus = z.strictObject({
  source: gitSourceView,
  drift: z.array(
    z.strictObject({
      name: z.string(),
      file: z.string(),
      kind: z.enum(['changed', 'missing']),
      fields: z.array(fieldDrift),
    }),
  ),
  orphaned: z.array(z.string()),
});
export const syncReport = z.strictObject({
  source: z.string(),
  commit: z.string().nullable(),
  outcome: z.enum(['synced', 'unchanged', 'invalid', 'failed']),
  applied: z.array(
    z.strictObject({
      name: z.string(),
      file: z.string(),
      revision: z.string(),
      action: z.enum(['create', 'update', 'revert']),
      fields: z.array(fieldDrift),
    }),
  ),
  unchanged: z.array(z.string()),
  pruned: z.array(z.string()),
  orphaned: z.array(z.string()),
  error: syncError.nullable(),
});
export const gitSourceDeleted = z.strictObject({ deleted: z.string() });
export const webhookAccepted = z.strictObject({ accepted: z.literal(true), source: z.string() });
export const gitSourceRequest = z.strictObject({
  name: z.string(),
  repo: z.string(),
  branch: z.string().optional(),
  path: z.string().optional(),
  interval: z.union([z.string(), int]).optional(),
  prune: z.boolean().optional(),
  webhookSecret: z.string().nullable().optional(),
});
