/**
 * `skyfleet calls summarize FILE`: what a call log says per cloud and target. Pure: lines in,
 * summary out (the CLI reads the file and prints).
 *
 * - operation: ECS, the `x-amz-target` operation (`CreateService`); ARM, the method and the resource
 *   type path after `providers/<namespace>/` (`PUT containerGroups`, `GET containerGroups (list)`,
 *   `POST containerGroups/restart`, `GET locations/operations`); Cloud Run, the method and the
 *   resource path after the API version without `projects`/`locations` (`PATCH services`,
 *   `GET operations`, `POST services:setIamPolicy`).
 * - write: ECS operations other than Describe*, List*, Get*; for REST APIs any method but GET/HEAD.
 * - error: status >= 400, or null (no answer: network error, timeout, abort).
 * - retry: an attempt whose identical request (cloud, target, method, URL, body) was attempted last
 *   with an error other than 404: the SDK's retries and the reconciler's re-runs of a failed call.
 *   Polls of the same URL that answered 2xx are not retries, nor is a read repeated after a 404.
 * - malformed lines (not JSON, or without the fields a summary needs) are counted and listed with
 *   their line numbers (from 1); blank lines are skipped.
 */
import type { CallLogEntry } from './call-log.js';

export interface OperationSummary {
  operation: string;
  write: boolean;
  calls: number;
  errors: number;
  retries: number;
  totalMs: number;
}

export interface TargetSummary {
  cloud: string;
  target: string;
  calls: number;
  writes: number;
  reads: number;
  errors: number;
  retries: number;
  totalMs: number;
  p50Ms: number;
  maxMs: number;
  /** Status -> count; `null` for attempts without an answer. */
  statuses: Record<string, number>;
  /** Busiest first. */
  operations: OperationSummary[];
}

export interface MalformedLine {
  line: number;
  error: string;
}

export interface CallLogSummary {
  /** Well-formed entries. */
  calls: number;
  /** Sorted by cloud, then target. */
  targets: TargetSummary[];
  malformed: MalformedLine[];
}

type Entry = Pick<CallLogEntry, 'cloud' | 'target' | 'method' | 'url' | 'headers' | 'body' | 'status' | 'durationMs'>;

const READ_PREFIX = /^(Describe|List|Get)/;

function pathSegments(url: string): { segments: string[] } | undefined {
  try {
    const u = new URL(url);
    return { segments: u.pathname.split('/').filter(Boolean).map(decodeURIComponent) };
  } catch {
    return undefined;
  }
}

/** `type/name/type/name.../[type]`: the types (even positions) and whether it ends on a collection. */
function typesOf(pairs: string[]): { types: string[]; collection: boolean } {
  return { types: pairs.filter((_, i) => i % 2 === 0), collection: pairs.length % 2 === 1 };
}

function armOperation(method: string, url: string): string {
  const p = pathSegments(url);
  if (!p) return `${method} ?`;
  const i = p.segments.findIndex((s) => s.toLowerCase() === 'providers');
  if (i < 0 || i + 1 >= p.segments.length) {
    // subscription/resource-group level: types only
    const { types } = typesOf(p.segments);
    return `${method} ${types.join('/') || '/'}`;
  }
  const { types, collection } = typesOf(p.segments.slice(i + 2));
  if (!types.length) return `${method} ${p.segments[i + 1]}`;
  // an odd tail is a collection (GET) or an action (POST ...)
  if (collection && method === 'GET') return `GET ${types.join('/')} (list)`;
  return `${method} ${types.join('/')}`;
}

function googleOperation(method: string, url: string): string {
  const p = pathSegments(url);
  if (!p) return `${method} ?`;
  let segs = p.segments;
  if (/^v\d/.test(segs[0] ?? '')) segs = segs.slice(1);
  // a custom method: `.../services/s:setIamPolicy`
  const last = segs[segs.length - 1] ?? '';
  const colon = last.indexOf(':');
  const verb = colon >= 0 ? last.slice(colon) : '';
  if (colon >= 0) segs = [...segs.slice(0, -1), last.slice(0, colon)];
  const { types, collection } = typesOf(segs);
  const resource = types.filter((t) => t !== 'projects' && t !== 'locations').join('/') || types.join('/') || '/';
  if (collection && method === 'GET' && !verb) return `GET ${resource} (list)`;
  return `${method} ${resource}${verb}`;
}

/** The operation an entry performed, and whether it writes. */
export function operationOf(e: Pick<CallLogEntry, 'cloud' | 'method' | 'url' | 'headers'>): {
  operation: string;
  write: boolean;
} {
  const method = e.method.toUpperCase();
  if (e.cloud === 'aws-ecs') {
    const target = Object.entries(e.headers ?? {}).find(([k]) => k.toLowerCase() === 'x-amz-target')?.[1];
    const op = target
      ? target.slice(target.lastIndexOf('.') + 1)
      : `${method} ${pathSegments(e.url)?.segments.join('/') ?? '?'}`;
    return { operation: op, write: target ? !READ_PREFIX.test(op) : method !== 'GET' && method !== 'HEAD' };
  }
  const write = method !== 'GET' && method !== 'HEAD';
  if (e.cloud === 'azure-aci') return { operation: armOperation(method, e.url), write };
  if (e.cloud === 'gcp-cloud-run') return { operation: googleOperation(method, e.url), write };
  return { operation: `${method} ${pathSegments(e.url)?.segments.join('/') ?? '?'}`, write };
}

const isError = (status: number | null) => status === null || status >= 400;

function check(v: unknown): Entry | string {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return 'not a JSON object';
  const o = v as Record<string, unknown>;
  for (const k of ['cloud', 'target', 'method', 'url'] as const)
    if (typeof o[k] !== 'string' || !(o[k] as string).length) return `"${k}" is missing or not a string`;
  if (o.status !== null && !(typeof o.status === 'number' && Number.isFinite(o.status)))
    return '"status" is not a number or null';
  if (typeof o.durationMs !== 'number' || !Number.isFinite(o.durationMs) || o.durationMs < 0)
    return '"durationMs" is not a non-negative number';
  if (o.headers !== undefined && (typeof o.headers !== 'object' || o.headers === null || Array.isArray(o.headers)))
    return '"headers" is not an object';
  return {
    cloud: o.cloud as CallLogEntry['cloud'],
    target: o.target as string,
    method: o.method as string,
    url: o.url as string,
    headers: (o.headers ?? {}) as Record<string, string>,
    body: o.body ?? null,
    status: o.status as number | null,
    durationMs: o.durationMs as number,
  };
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

/** Summarises call-log lines (the file's text split on newlines, or the text itself). */
export function summarizeCallLog(input: string | readonly string[]): CallLogSummary {
  const lines = typeof input === 'string' ? input.split(/\r?\n/) : input;
  const malformed: MalformedLine[] = [];
  interface Acc {
    summary: TargetSummary;
    durations: number[];
    ops: Map<string, OperationSummary>;
    /** Request identity -> status of its latest attempt. */
    last: Map<string, number | null>;
  }
  const byTarget = new Map<string, Acc>();
  let calls = 0;
  lines.forEach((raw, i) => {
    const text = raw.trim();
    if (!text) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      malformed.push({ line: i + 1, error: `not JSON: ${(err as Error).message}` });
      return;
    }
    const e = check(parsed);
    if (typeof e === 'string') {
      malformed.push({ line: i + 1, error: e });
      return;
    }
    calls++;
    const key = `${e.cloud}\u0000${e.target}`;
    let acc = byTarget.get(key);
    if (!acc) {
      acc = {
        summary: {
          cloud: e.cloud,
          target: e.target,
          calls: 0,
          writes: 0,
          reads: 0,
          errors: 0,
          retries: 0,
          totalMs: 0,
          p50Ms: 0,
          maxMs: 0,
          statuses: {},
          operations: [],
        },
        durations: [],
        ops: new Map(),
        last: new Map(),
      };
      byTarget.set(key, acc);
    }
    const { operation, write } = operationOf(e);
    const s = acc.summary;
    let op = acc.ops.get(operation);
    if (!op) {
      op = { operation, write, calls: 0, errors: 0, retries: 0, totalMs: 0 };
      acc.ops.set(operation, op);
    }
    const identity = `${e.method.toUpperCase()} ${e.url} ${JSON.stringify(e.body)}`;
    const before = acc.last.get(identity);
    const retry = before !== undefined && isError(before) && before !== 404;
    acc.last.set(identity, e.status);
    const error = isError(e.status);
    s.calls++;
    op.calls++;
    if (write) s.writes++;
    else s.reads++;
    if (error) {
      s.errors++;
      op.errors++;
    }
    if (retry) {
      s.retries++;
      op.retries++;
    }
    s.totalMs += e.durationMs;
    op.totalMs += e.durationMs;
    acc.durations.push(e.durationMs);
    const st = String(e.status);
    s.statuses[st] = (s.statuses[st] ?? 0) + 1;
  });
  const targets = [...byTarget.values()]
    .map(({ summary, durations, ops }) => {
      const sorted = [...durations].sort((a, b) => a - b);
      return {
        ...summary,
        totalMs: round(summary.totalMs),
        p50Ms: round(percentile(sorted, 50)),
        maxMs: round(sorted[sorted.length - 1] ?? 0),
        operations: [...ops.values()]
          .map((o) => ({ ...o, totalMs: round(o.totalMs) }))
          .sort((a, b) => b.calls - a.calls || a.operation.localeCompare(b.operation)),
      };
    })
    .sort((a, b) => a.cloud.localeCompare(b.cloud) || a.target.localeCompare(b.target));
  return { calls, targets, malformed };
}
