// The dashboard's client of the public API: same origin, the session cookie (HttpOnly, set by
// POST /api/v1/session), and the session's CSRF token on every request that changes something.
// The token itself is sent once, in the login request's body, and never kept.

export type Role = 'viewer' | 'deployer' | 'admin';

export interface Session {
  name: string;
  role: Role;
  csrf?: string;
  expiresAt?: number;
}

export interface ReplicaStatus {
  id: string;
  name?: string;
  ordinal?: number;
  state: 'pending' | 'starting' | 'ready' | 'unhealthy' | 'failed' | 'stopped';
  ready: boolean;
  message?: string;
  endpoints?: Array<{ host: string; port: number; containerPort?: number }>;
}

export interface Slice {
  key: { fleet: string; deployment: string; revision: string; zone: string };
  target: string;
  replicas: number;
  ready: number;
  revision: string;
  replicaStatus?: ReplicaStatus[];
  state?: string;
  /** `aggregate`: the platform counts the replicas but does not list them (Cloud Run). */
  observedAs?: 'replica' | 'aggregate';
  /** For aggregate slices: where the counts come from. */
  detail?: string;
}

export interface Domain {
  target: string;
  zone: string;
  desired: number;
  current: number;
  ready: number;
  old: number;
}

export interface DeploymentStatus {
  name: string;
  revision: string;
  revisionNumber?: number;
  generation: number;
  replicas: number;
  ready: number;
  current: number;
  domains: Domain[];
  slices: Slice[];
  conditions: Array<{ type?: string; status?: string; reason?: string; message?: string }>;
}

export type CanaryStep =
  | { setWeight: number }
  | { pause: { duration?: string | number } }
  | { analysis: { successRate?: string; p99LatencyMs?: string; window?: string | number; minRequests?: number } };

export interface DeploymentSpec {
  replicas: number;
  placement?: { targets?: Array<{ name: string; weight?: number; min?: number; max?: number }>; optimize?: string };
  strategy?: {
    type: 'RollingUpdate' | 'Recreate' | 'BlueGreen' | 'Canary';
    canary?: { steps: CanaryStep[] };
    blueGreen?: { autoPromote?: boolean; scaleDownDelaySeconds?: number };
    rollingUpdate?: { maxSurge: string | number; maxUnavailable: string | number };
  };
  autoscaling?: { minReplicas?: number; maxReplicas?: number; metrics?: unknown[] };
  template?: { containers?: Array<{ name: string; image: string }> };
}

export interface DeploymentRecord {
  name: string;
  /** The Deployment document as applied (secret references redacted). */
  spec: { metadata: { name: string }; spec: DeploymentSpec };
  revision: string;
  generation: number;
  resourceVersion: number;
  updatedAt: number;
}

export interface RolloutState {
  strategy: 'BlueGreen' | 'Canary';
  stable: string | null;
  canary: string;
  step: number;
  phase: 'Progressing' | 'Paused' | 'Completed' | 'Aborted';
  message: string;
  pausedByUser?: boolean;
  promotedAt?: number;
}

export interface RolloutStatus {
  deployment: string;
  strategy: string;
  state?: RolloutState;
  status: DeploymentStatus;
}

export interface EventRecord {
  id?: number;
  time: number;
  deployment: string | null;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface RevisionRecord {
  deployment: string;
  revision: string;
  number: number;
  createdAt: number;
  template: { containers?: Array<{ name: string; image: string }> };
}

export interface Target {
  target: string;
  kind: string;
  topology: { provider?: string; region?: string; zones?: string[] };
  maxReplicasPerZone?: number;
  health: Array<{ zone: string; healthy: boolean; reason?: string }> | null;
  healthError?: string;
}

export interface Describe {
  record: DeploymentRecord;
  status: DeploymentStatus;
  history: RevisionRecord[];
  events: EventRecord[];
  autoscaling: Record<string, unknown> | null;
}

export interface RevisionTraffic {
  revision: string;
  requests: number;
  errors: number;
  successRate: number;
  p99Ms: number;
  requestsPerSecond: number;
}

export interface Traffic {
  deployment: string;
  windowMs: number;
  served: boolean;
  at: number;
  items: RevisionTraffic[];
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let csrf: string | undefined;

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method !== 'GET') headers['x-skyfleet-csrf'] = csrf ?? '-';
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    cache: 'no-store',
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  const json = text ? (JSON.parse(text) as unknown) : undefined;
  if (!res.ok) {
    const err = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new ApiError(res.status, err?.code ?? 'error', err?.message ?? `${method} ${path}: ${res.status}`);
  }
  return json as T;
}

const enc = encodeURIComponent;

export const api = {
  async login(token: string): Promise<Session> {
    const s = await call<Session>('POST', '/api/v1/session', { token });
    csrf = s.csrf;
    return s;
  },
  async session(): Promise<Session> {
    const s = await call<Session>('GET', '/api/v1/session');
    csrf = s.csrf;
    return s;
  },
  async logout(): Promise<void> {
    await call('DELETE', '/api/v1/session');
    csrf = undefined;
  },
  fleet: () => call<{ name: string }>('GET', '/api/v1/fleet'),
  targets: () => call<{ items: Target[] }>('GET', '/api/v1/targets'),
  deployments: () => call<{ items: DeploymentRecord[]; resourceVersion: number }>('GET', '/api/v1/deployments'),
  status: (name: string) => call<DeploymentStatus>('GET', `/api/v1/deployments/${enc(name)}/status`),
  describe: (name: string) => call<Describe>('GET', `/api/v1/deployments/${enc(name)}/describe`),
  traffic: (name: string) => call<Traffic>('GET', `/api/v1/deployments/${enc(name)}/traffic?windowMs=10000`),
  rollout: (name: string) => call<RolloutStatus>('GET', `/api/v1/deployments/${enc(name)}/rollout`),
  events: (deployment?: string, limit = 50) =>
    call<{ items: EventRecord[]; resourceVersion: number }>(
      'GET',
      `/api/v1/events?limit=${limit}${deployment ? `&deployment=${enc(deployment)}` : ''}`,
    ),
  rolloutAction: (name: string, action: 'promote' | 'pause' | 'resume' | 'abort') =>
    call<RolloutState>('POST', `/api/v1/deployments/${enc(name)}/rollout/${action}`),
  undo: (name: string, toRevision?: number) =>
    call('POST', `/api/v1/deployments/${enc(name)}/rollout/undo?wait=false`, toRevision ? { toRevision } : {}),
  scale: (name: string, replicas: number) =>
    call('POST', `/api/v1/deployments/${enc(name)}/scale?wait=false`, { replicas }),
  migrate: (name: string, to: string[]) => call('POST', `/api/v1/deployments/${enc(name)}/migrate?wait=false`, { to }),
};
