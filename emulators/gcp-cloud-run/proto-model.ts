/**
 * A ModelChecker over the Cloud Run Admin API v2 protos in emulators/reference/gcp-cloud-run-v2/proto
 * (service.proto Service, revision_template.proto RevisionTemplate, k8s.min.proto Container...,
 * google_longrunning_operations.proto Operation), parsed with protobufjs. It checks JSON by the proto3
 * JSON mapping: lowerCamel field names (the proto names are accepted too), int64 as a string or
 * number, enums as names or numbers, Timestamp/Duration/FieldMask as strings, Any with "@type",
 * maps as objects, at most one member per oneof, and (in requests) REQUIRED fields of nested messages.
 * It also converts enums between names and numbers, which the emulator needs because the REST client
 * sends and asks for `enum-encoding=int`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import type { ModelChecker } from '../framework/index.js';
import { referencePath } from '../reference/reference-path.js';

export const PROTO_DIR = referencePath('gcp-cloud-run-v2', 'proto');

const WELL_KNOWN = [
  'google/protobuf/any.proto',
  'google/protobuf/duration.proto',
  'google/protobuf/timestamp.proto',
  'google/protobuf/empty.proto',
  'google/protobuf/field_mask.proto',
];

let cached: protobuf.Root | undefined;

/** The reference protos in one protobufjs root (imports outside the folder stubbed where needed). */
export function loadRoot(): protobuf.Root {
  if (cached) return cached;
  const root = new protobuf.Root();
  for (const f of WELL_KNOWN) {
    const c = protobuf.common.get(f) as { nested?: protobuf.INamespace['nested'] } | undefined;
    if (c?.nested) root.addJSON(c.nested);
  }
  // google/api/launch_stage.proto is not in the reference folder; Service.launch_stage needs the enum
  root.addJSON({
    google: {
      nested: {
        api: {
          nested: {
            LaunchStage: {
              values: {
                LAUNCH_STAGE_UNSPECIFIED: 0,
                UNIMPLEMENTED: 6,
                PRELAUNCH: 7,
                EARLY_ACCESS: 1,
                ALPHA: 2,
                BETA: 3,
                GA: 4,
                DEPRECATED: 5,
              },
            },
          },
        },
      },
    },
  });
  for (const f of readdirSync(PROTO_DIR).filter((x) => x.endsWith('.proto'))) {
    protobuf.parse(readFileSync(join(PROTO_DIR, f), 'utf8'), root, { keepCase: false });
  }
  cached = root;
  return root;
}

export type EnumMode = 'name' | 'int';

type Json = Record<string, unknown>;

const INT32 = new Set(['int32', 'uint32', 'sint32', 'fixed32', 'sfixed32']);
const INT64 = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);

function behaviour(field: protobuf.Field): string | undefined {
  const v = field.options?.['(google.api.field_behavior)'];
  return typeof v === 'string' ? v : undefined;
}

function fieldByJsonName(type: protobuf.Type, key: string): protobuf.Field | undefined {
  return type.fields[key] ?? type.fieldsArray.find((f) => f.name === key || snake(f.name) === key);
}

function snake(s: string): string {
  return s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

export class ProtoModel implements ModelChecker {
  readonly root = loadRoot();

  type(name: string): protobuf.Type {
    const t = this.root.lookupType(name);
    t.resolveAll();
    return t;
  }

  /** Problems with `value` as proto3 JSON of message `typeName` (fully qualified). */
  check(typeName: string, value: unknown, options: { request?: boolean } = {}): string[] {
    const problems: string[] = [];
    this.checkMessage(this.type(typeName), value, '', problems, options.request ?? false, true);
    return problems;
  }

  private checkMessage(
    type: protobuf.Type,
    value: unknown,
    path: string,
    problems: string[],
    request: boolean,
    top: boolean,
  ): void {
    const at = path || '(root)';
    const full = type.fullName.replace(/^\./, '');
    if (full === 'google.protobuf.Timestamp') {
      if (typeof value !== 'string' || Number.isNaN(Date.parse(value)))
        problems.push(`${at}: expected an RFC 3339 timestamp string, got ${JSON.stringify(value)}`);
      return;
    }
    if (full === 'google.protobuf.Duration') {
      if (typeof value !== 'string' || !/^-?\d+(\.\d{1,9})?s$/.test(value))
        problems.push(`${at}: expected a duration like "300s", got ${JSON.stringify(value)}`);
      return;
    }
    if (full === 'google.protobuf.FieldMask') {
      if (typeof value !== 'string') problems.push(`${at}: expected a field mask string, got ${JSON.stringify(value)}`);
      return;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      problems.push(
        `${at}: expected an object for ${full}, got ${Array.isArray(value) ? 'a list' : JSON.stringify(value)}`,
      );
      return;
    }
    const obj = value as Json;
    if (full === 'google.protobuf.Any') {
      const t = obj['@type'];
      if (typeof t !== 'string' || !t.startsWith('type.googleapis.com/')) {
        problems.push(`${at}: expected "@type": "type.googleapis.com/...", got ${JSON.stringify(t)}`);
        return;
      }
      const { '@type': _, ...rest } = obj;
      let inner: protobuf.Type;
      try {
        inner = this.type(t.slice('type.googleapis.com/'.length));
      } catch {
        problems.push(`${at}: unknown Any type ${t}`);
        return;
      }
      this.checkMessage(inner, rest, path, problems, request, false);
      return;
    }
    const oneofSeen = new Map<string, string>();
    for (const [key, v] of Object.entries(obj)) {
      const field = fieldByJsonName(type, key);
      const p = path ? `${path}.${key}` : key;
      if (!field) {
        problems.push(`${p}: no field "${key}" in ${full}`);
        continue;
      }
      if (v === null || v === undefined) continue;
      if (field.partOf) {
        const other = oneofSeen.get(field.partOf.name);
        if (other) problems.push(`${p}: oneof ${field.partOf.name} already has ${other}`);
        oneofSeen.set(field.partOf.name, key);
      }
      this.checkField(field, v, p, problems, request);
    }
    if (request && !top) {
      for (const f of type.fieldsArray) {
        if (behaviour(f) === 'REQUIRED' && (obj[f.name] === undefined || obj[f.name] === '')) {
          problems.push(`${path ? `${path}.` : ''}${f.name}: required by ${full}`);
        }
      }
    }
  }

  private checkField(field: protobuf.Field, v: unknown, path: string, problems: string[], request: boolean): void {
    field.resolve();
    if (field instanceof protobuf.MapField) {
      if (typeof v !== 'object' || Array.isArray(v)) {
        problems.push(`${path}: expected a map object, got ${JSON.stringify(v)}`);
        return;
      }
      for (const [k, x] of Object.entries(v as Json))
        this.checkValue(field, x, `${path}[${JSON.stringify(k)}]`, problems, request);
      return;
    }
    if (field.repeated) {
      if (!Array.isArray(v)) {
        problems.push(`${path}: expected a list, got ${JSON.stringify(v)}`);
        return;
      }
      v.forEach((x, i) => {
        this.checkValue(field, x, `${path}[${i}]`, problems, request);
      });
      return;
    }
    this.checkValue(field, v, path, problems, request);
  }

  private checkValue(field: protobuf.Field, v: unknown, path: string, problems: string[], request: boolean): void {
    const rt = field.resolvedType;
    if (rt instanceof protobuf.Type) {
      this.checkMessage(rt, v, path, problems, request, false);
      return;
    }
    if (rt instanceof protobuf.Enum) {
      const ok =
        (typeof v === 'string' && v in rt.values) || (typeof v === 'number' && Object.values(rt.values).includes(v));
      if (!ok) problems.push(`${path}: ${JSON.stringify(v)} is not a value of enum ${rt.name}`);
      return;
    }
    const t = field.type;
    const intText = (x: unknown) => typeof x === 'string' && /^-?\d+$/.test(x);
    if (t === 'string') {
      if (typeof v !== 'string') problems.push(`${path}: expected a string, got ${JSON.stringify(v)}`);
    } else if (t === 'bool') {
      if (typeof v !== 'boolean') problems.push(`${path}: expected a boolean, got ${JSON.stringify(v)}`);
    } else if (INT32.has(t)) {
      if (!((typeof v === 'number' && Number.isInteger(v)) || intText(v)))
        problems.push(`${path}: expected an ${t}, got ${JSON.stringify(v)}`);
      else {
        const n = Number(v);
        // signed 32-bit: -2^31..2^31-1; unsigned: 0..2^32-1
        const [lo, hi] = t.startsWith('u') || t === 'fixed32' ? [0, 2 ** 32 - 1] : [-(2 ** 31), 2 ** 31 - 1];
        if (n < lo || n > hi) problems.push(`${path}: ${String(v)} is out of range for ${t} (${lo}..${hi})`);
      }
    } else if (INT64.has(t)) {
      if (!((typeof v === 'number' && Number.isInteger(v)) || intText(v)))
        problems.push(`${path}: expected an ${t} (a string of digits), got ${JSON.stringify(v)}`);
    } else if (t === 'double' || t === 'float') {
      if (typeof v !== 'number') problems.push(`${path}: expected a number, got ${JSON.stringify(v)}`);
    } else if (t === 'bytes') {
      if (typeof v !== 'string') problems.push(`${path}: expected base64 bytes, got ${JSON.stringify(v)}`);
    }
  }

  /** A deep copy of `value` (proto3 JSON of `typeName`) with every enum as a name or a number. */
  convertEnums(typeName: string, value: unknown, mode: EnumMode): unknown {
    return this.convertMessage(this.type(typeName), value, mode);
  }

  private convertMessage(type: protobuf.Type, value: unknown, mode: EnumMode): unknown {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
    const full = type.fullName.replace(/^\./, '');
    const obj = value as Json;
    if (full === 'google.protobuf.Any' && typeof obj['@type'] === 'string') {
      try {
        const inner = this.type(String(obj['@type']).slice('type.googleapis.com/'.length));
        return { ...(this.convertMessage(inner, obj, mode) as Json), '@type': obj['@type'] };
      } catch {
        return value;
      }
    }
    const out: Json = {};
    for (const [k, v] of Object.entries(obj)) {
      const field = fieldByJsonName(type, k);
      if (!field) {
        out[k] = v;
        continue;
      }
      field.resolve();
      const one = (x: unknown): unknown => {
        const rt = field.resolvedType;
        if (rt instanceof protobuf.Type) return this.convertMessage(rt, x, mode);
        if (rt instanceof protobuf.Enum) {
          if (mode === 'int' && typeof x === 'string' && x in rt.values) return rt.values[x];
          if (mode === 'name' && typeof x === 'number' && rt.valuesById[x] !== undefined) return rt.valuesById[x];
        }
        return x;
      };
      if (field instanceof protobuf.MapField && v && typeof v === 'object') {
        out[k] = Object.fromEntries(Object.entries(v as Json).map(([mk, mv]) => [mk, one(mv)]));
      } else if (Array.isArray(v)) {
        out[k] = v.map(one);
      } else {
        out[k] = one(v);
      }
    }
    return out;
  }

  /** Names of OUTPUT_ONLY fields of a message (the emulator ignores them in requests, as the service does). */
  outputOnly(typeName: string): string[] {
    return this.type(typeName)
      .fieldsArray.filter((f) => behaviour(f) === 'OUTPUT_ONLY')
      .map((f) => f.name);
  }
}
