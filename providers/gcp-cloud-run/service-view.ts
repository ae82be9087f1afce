/**
 * The ONE place where Cloud Run Service results are normalised. The SDK hands back two shapes:
 * - `getService` / `listServices` (REST): plain objects, enums as names, int64 as strings;
 * - an operation's result (`op.result`): a protobufjs message, enums as numbers, int64 as Long.
 * Both go through `Service.fromObject` / `toObject` with names and strings, then into ServiceView.
 */
import type { SliceAutoscaling } from '../../src/provider/provider.js';
import { ANNOTATIONS, revisionOfName } from './names.js';
import { parseAutoscaling, parseReplicas } from './mapping.js';

export interface ConditionView {
  type: string;
  state: string;
  message: string;
  reason: string;
}

export interface TrafficView {
  type: string;
  /** Short revision name (`svc-abc123`). */
  revision: string;
  percent: number;
  tag: string;
  uri: string;
}

export interface ServiceView {
  /** Full resource name. */
  name: string;
  /** The service id (last path segment). */
  id: string;
  uri: string;
  etag: string;
  generation: number;
  observedGeneration: number;
  reconciling: boolean;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  ingress: string;
  /** The invoker IAM check is off: anyone who reaches the service may call it. */
  invokerIamDisabled: boolean;
  /** Short name of the template's revision. */
  templateRevision: string;
  /** The container port of the ingress container (8080 when none is declared). */
  containerPort: number;
  traffic: TrafficView[];
  trafficStatuses: TrafficView[];
  minInstanceCount: number;
  maxInstanceCount: number;
  terminalCondition: ConditionView | undefined;
  conditions: ConditionView[];
  latestReadyRevision: string;
  latestCreatedRevision: string;
  /** The skyfleet slice table (revision hash -> replicas) from the annotation. */
  replicas: Record<string, number>;
  /** The autoscaling skyfleet mapped onto the service (from its annotation), when Cloud Run scales it. */
  autoscaling: SliceAutoscaling | undefined;
}

/** What normalise needs from the SDK's protos: the Service message type. */
export interface ServiceType {
  fromObject(o: Record<string, unknown>): unknown;
  toObject(m: never, o: Record<string, unknown>): Record<string, unknown>;
}

type Plain = Record<string, unknown>;
const str = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));
const num = (v: unknown): number => {
  const n = typeof v === 'number' ? v : Number(str(v) || 0);
  return Number.isFinite(n) ? n : 0;
};
const shortName = (v: unknown): string => {
  const s = str(v);
  return s.includes('/') ? s.slice(s.lastIndexOf('/') + 1) : s;
};

function condition(c: unknown): ConditionView | undefined {
  if (!c || typeof c !== 'object') return undefined;
  const o = c as Plain;
  const reason =
    [o.reason, o.revisionReason, o.executionReason].map(str).find((r) => r && !/_UNDEFINED$/.test(r)) ?? '';
  return { type: str(o.type), state: str(o.state), message: str(o.message), reason };
}

function traffic(list: unknown): TrafficView[] {
  return (Array.isArray(list) ? list : []).map((t: Plain) => ({
    type: str(t.type),
    revision: shortName(t.revision),
    percent: num(t.percent),
    tag: str(t.tag),
    uri: str(t.uri),
  }));
}

/** Any Service result (message or plain object) -> ServiceView. */
export function normaliseService(raw: unknown, Service: ServiceType): ServiceView {
  const isMessage =
    raw !== null &&
    typeof raw === 'object' &&
    typeof (raw as { constructor?: { name?: string } }).constructor === 'function' &&
    !!(raw as { $type?: unknown }).$type;
  const msg = isMessage ? raw : Service.fromObject(raw as Plain);
  const o = Service.toObject(msg as never, { enums: String, longs: String, defaults: true, oneofs: true });
  const template = (o.template ?? {}) as Plain;
  const containers = (Array.isArray(template.containers) ? template.containers : []) as Plain[];
  const port = containers
    .flatMap((c) => (Array.isArray(c.ports) ? (c.ports as Plain[]) : []))
    .map((p) => num(p.containerPort))[0];
  const scaling = (o.scaling ?? {}) as Plain;
  const name = str(o.name);
  const annotations = { ...((o.annotations ?? {}) as Record<string, string>) };
  return {
    name,
    id: shortName(name),
    uri: str(o.uri),
    etag: str(o.etag),
    generation: num(o.generation),
    observedGeneration: num(o.observedGeneration),
    reconciling: o.reconciling === true,
    labels: { ...((o.labels ?? {}) as Record<string, string>) },
    annotations,
    ingress: str(o.ingress),
    invokerIamDisabled: o.invokerIamDisabled === true,
    templateRevision: shortName(template.revision),
    containerPort: port || 8080,
    traffic: traffic(o.traffic),
    trafficStatuses: traffic(o.trafficStatuses),
    minInstanceCount: num(scaling.minInstanceCount),
    maxInstanceCount: num(scaling.maxInstanceCount),
    terminalCondition: condition(o.terminalCondition),
    conditions: (Array.isArray(o.conditions) ? o.conditions : []).map(condition).filter((c): c is ConditionView => !!c),
    latestReadyRevision: shortName(o.latestReadyRevision),
    latestCreatedRevision: shortName(o.latestCreatedRevision),
    replicas: parseReplicas(annotations[ANNOTATIONS.replicas]),
    autoscaling: parseAutoscaling(annotations[ANNOTATIONS.autoscaling]),
  };
}

/** The skyfleet revisions this service holds: the slice table, plus any of ours still in traffic. */
export function sliceRevisions(v: ServiceView): string[] {
  const set = new Set(Object.keys(v.replicas));
  for (const t of v.traffic) {
    const r = revisionOfName(v.id, t.revision);
    if (r) set.add(r);
  }
  return [...set].sort();
}
