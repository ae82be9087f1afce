import { SkyfleetError } from '../errors/index.js';
import type { DeleteResult, DeploymentStatus, Fleet, PlanResult, RolloutStatus } from '../fleet.js';
import type { AutoscalingView } from '../operations/autoscaling-status.js';
import type { Provider } from '../provider/provider.js';
import type { ConvergeOptions, ConvergeResult } from '../reconcile/converge.js';
import type { RolloutState } from '../rollout/types.js';
import type { Deployment, DeploymentInput } from '../spec/deployment.js';
import type { DeploymentRecord, EventRecord, RevisionRecord } from '../store/store.js';
import { HttpClient, type RemoteOptions } from './http-client.js';
import { followWatch, type WatchEvent } from './watch-stream.js';

export type { RemoteOptions } from './http-client.js';
export type { WatchEvent } from './watch-stream.js';

/** A Fleet served by a skyfleet server, with the watches the API adds. */
export interface RemoteFleet extends Fleet {
  readonly server: string;
  /** Follows the changes of deployments or events from `from` (a resourceVersion) until `signal` aborts. */
  watch(
    what: 'deployments' | 'events',
    options: {
      from?: number;
      signal: AbortSignal;
      onEvent: (e: WatchEvent) => void;
      name?: string;
      onOpen?: () => void;
    },
  ): Promise<void>;
  /** The list and the feed's version it was read at (to watch from). */
  listWithVersion(): Promise<{ items: DeploymentRecord[]; resourceVersion: number }>;
}

const D = '/api/v1/deployments';
const enc = encodeURIComponent;

function query(opts: ConvergeOptions | undefined): string {
  const q = new URLSearchParams();
  if (opts?.wait === false) q.set('wait', 'false');
  if (opts?.timeoutMs !== undefined) q.set('timeoutMs', String(opts.timeoutMs));
  if (opts?.expectResourceVersion !== undefined) q.set('resourceVersion', String(opts.expectResourceVersion));
  const s = q.toString();
  return s ? `?${s}` : '';
}

const stripSource = (d: DeploymentInput | Deployment): unknown => JSON.parse(JSON.stringify(d));

/**
 * The `Fleet` of a skyfleet server (`createFleet({ server, token })`): every call is a request to
 * its API, with the same results and the same errors (class, code, message) as a local fleet.
 * `run` is the server's own job; `providers()` is empty here (see `GET /api/v1/targets`).
 */
export async function connectFleet(options: RemoteOptions): Promise<RemoteFleet> {
  const fleet = createRemoteFleet(options);
  await fleet.ready();
  return fleet;
}

export function createRemoteFleet(options: RemoteOptions): RemoteFleet & { ready(): Promise<void> } {
  const http = new HttpClient(options);
  let name = options.server;
  let named: Promise<void> | undefined;
  const ready = () =>
    (named ??= http.json<{ name: string }>('GET', '/api/v1/fleet').then((f) => {
      name = f.name;
    }));
  const converge = async (method: string, path: string, body: unknown, opts?: ConvergeOptions) =>
    http.json<ConvergeResult>(method, `${path}${query(opts)}`, { body, signal: opts?.signal });

  const fleet: RemoteFleet & { ready(): Promise<void> } = {
    get name() {
      return name;
    },
    server: http.base.origin,
    ready,
    async plan(d) {
      return (await http.json<{ items: PlanResult[] }>('POST', '/api/v1/plan', { body: stripSource(d) })).items[0]!;
    },
    async validate(d) {
      await http.json('POST', '/api/v1/validate', { body: stripSource(d) });
      return d as Deployment;
    },
    async apply(d, opts) {
      const n = (d as Deployment).metadata?.name ?? '';
      return converge('PUT', `${D}/${enc(n)}`, stripSource(d), opts);
    },
    async scale(n, replicas, opts) {
      return converge('POST', `${D}/${enc(n)}/scale`, { replicas }, opts);
    },
    rollout: {
      status: (n) => http.json<RolloutStatus>('GET', `${D}/${enc(n)}/rollout`),
      promote: (n) => http.json<RolloutState>('POST', `${D}/${enc(n)}/rollout/promote`),
      pause: (n) => http.json<RolloutState>('POST', `${D}/${enc(n)}/rollout/pause`),
      resume: (n) => http.json<RolloutState>('POST', `${D}/${enc(n)}/rollout/resume`),
      abort: (n) => http.json<RolloutState>('POST', `${D}/${enc(n)}/rollout/abort`),
      async undo(n, opts = {}) {
        const { toRevision, ...rest } = opts;
        return converge('POST', `${D}/${enc(n)}/rollout/undo`, toRevision !== undefined ? { toRevision } : {}, rest);
      },
      async history(n) {
        return (await http.json<{ items: RevisionRecord[] }>('GET', `${D}/${enc(n)}/rollout/history`)).items;
      },
    },
    async migrate(n, move, opts) {
      return converge('POST', `${D}/${enc(n)}/migrate`, move, opts);
    },
    async exportNginx(n) {
      return (await http.raw('GET', `${D}/${enc(n)}/nginx`, { headers: { accept: 'text/plain' } })).text();
    },
    async run() {
      throw new SkyfleetError(
        'invalid_input',
        `the controller of a remote fleet runs in its server (${http.base.origin}): start \`skyfleet server\` there`,
      );
    },
    async delete(n, opts = {}) {
      const q = opts.timeoutMs !== undefined ? `?timeoutMs=${opts.timeoutMs}` : '';
      return http.json<DeleteResult>('DELETE', `${D}/${enc(n)}${q}`, { signal: opts.signal });
    },
    async get(n) {
      try {
        return await http.json<DeploymentRecord>('GET', `${D}/${enc(n)}`);
      } catch (e) {
        if (e instanceof SkyfleetError && e.code === 'not_found') return undefined;
        throw e;
      }
    },
    async list() {
      return (await fleet.listWithVersion()).items;
    },
    listWithVersion: () => http.json<{ items: DeploymentRecord[]; resourceVersion: number }>('GET', D),
    status: (n) => http.json<DeploymentStatus>('GET', `${D}/${enc(n)}/status`),
    async autoscaling(n) {
      return (
        (await http.json<{ autoscaling: AutoscalingView | null }>('GET', `${D}/${enc(n)}/autoscaling`)).autoscaling ??
        undefined
      );
    },
    async history(n) {
      return (await http.json<{ items: RevisionRecord[] }>('GET', `${D}/${enc(n)}/history`)).items;
    },
    async events(filter = {}) {
      const q = new URLSearchParams();
      if (filter.deployment) q.set('deployment', filter.deployment);
      if (filter.limit !== undefined) q.set('limit', String(filter.limit));
      return (await http.json<{ items: EventRecord[] }>('GET', `/api/v1/events?${q}`)).items;
    },
    async providers() {
      return new Map<string, Provider>();
    },
    watch(what, o) {
      const q =
        what === 'deployments' ? (o.name ? `?name=${enc(o.name)}` : '') : o.name ? `?deployment=${enc(o.name)}` : '';
      return followWatch(http, `/api/v1/${what}${q}`, {
        signal: o.signal,
        onEvent: o.onEvent,
        ...(o.from !== undefined ? { from: o.from } : {}),
        ...(o.onOpen ? { onOpen: o.onOpen } : {}),
      });
    },
    async close() {
      http.close();
    },
  };
  return fleet;
}
