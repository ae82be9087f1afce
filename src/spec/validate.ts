import type { z } from 'zod';
import { ValidationError, type ValidationIssue } from '../errors/index.js';

/** `['spec','template','containers',0,'name']` -> `spec.template.containers[0].name` */
export function formatPath(path: readonly PropertyKey[], prefix = ''): string {
  let out = prefix;
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  return String(value);
}

function closest(word: string, options: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const o of options) {
    const d = editDistance(word.toLowerCase(), o.toLowerCase());
    if (d < bestScore) {
      best = o;
      bestScore = d;
    }
  }
  return bestScore <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

function knownKeys(schema: z.ZodType, path: readonly PropertyKey[], root: unknown): string[] {
  // Walk the schema (and the input, to pick union members) along the path to list the allowed
  // keys of the object that had an unknown one.
  let s: any = schema;
  let value: any = root;
  const unwrap = (x: any): any => {
    for (let i = 0; i < 10 && x; i++) {
      const def = x._zod?.def;
      if (!def) return x;
      if (def.type === 'object') return x;
      if (def.type === 'union' && Array.isArray(def.options)) {
        // the member the input names by its discriminator (`type` of a metric or strategy, `kind` of a target)
        const key: string = def.discriminator ?? 'kind';
        const tag = value && typeof value === 'object' ? value[key] : undefined;
        x = def.options.find((o: any) => o._zod?.def?.shape?.[key]?._zod?.def?.values?.includes(tag)) ?? def.options[0];
      } else if (def.innerType) x = def.innerType;
      else if (def.in && def.type === 'pipe') x = def.in;
      else if (def.schema) x = def.schema;
      else return x;
    }
    return x;
  };
  for (const p of path) {
    s = unwrap(s);
    value = value && typeof value === 'object' ? value[p as string] : undefined;
    const def = s?._zod?.def;
    if (!def) return [];
    if (typeof p === 'number' && def.type === 'array') s = def.element;
    else if (def.type === 'object') s = def.shape?.[p as string];
    else if (def.type === 'record') s = def.valueType;
    else return [];
  }
  s = unwrap(s);
  const shape = s?._zod?.def?.shape;
  return shape ? Object.keys(shape) : [];
}

export function toIssues(schema: z.ZodType, error: z.ZodError, prefix = '', input?: unknown): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  for (const iss of error.issues as any[]) {
    const path = formatPath(iss.path, prefix);
    if (iss.code === 'unrecognized_keys') {
      const allowed = knownKeys(schema, iss.path, input);
      for (const key of iss.keys as string[]) {
        const hint = closest(key, allowed);
        issues.push({
          path: formatPath([...iss.path, key], prefix),
          message: `unknown field${hint ? ` (did you mean "${hint}"?)` : ''}${allowed.length ? `; allowed: ${allowed.join(', ')}` : ''}`,
        });
      }
      continue;
    }
    if (
      iss.code === 'invalid_union' &&
      Array.isArray(iss.errors) &&
      iss.errors.length &&
      !iss.message?.startsWith('expected')
    ) {
      issues.push({ path, message: `${iss.message}, got ${describe(iss.input)}` });
      continue;
    }
    const last = iss.path[iss.path.length - 1];
    if (
      iss.code === 'invalid_union' &&
      iss.discriminator !== undefined &&
      iss.discriminator === last &&
      iss.input &&
      typeof iss.input === 'object' &&
      !(last in iss.input)
    ) {
      issues.push({ path, message: `required: ${iss.message ?? 'invalid'}` }); // no discriminator at all
      continue;
    }
    if (
      typeof last === 'string' &&
      iss.input &&
      typeof iss.input === 'object' &&
      !Array.isArray(iss.input) &&
      last in iss.input
    ) {
      iss.input = iss.input[last]; // discriminated unions report the whole object
    }
    let message: string = iss.message ?? 'invalid';
    if (iss.code === 'invalid_type' && iss.input === undefined) {
      message = message.startsWith('expected') ? `required: ${message}` : 'required';
    } else if (iss.code === 'invalid_value' && Array.isArray(iss.values)) {
      if (!message.startsWith('expected'))
        message = `expected one of ${iss.values.map((v: unknown) => JSON.stringify(v)).join(', ')}`;
      message += `, got ${describe(iss.input)}`;
    } else if ('input' in iss && (iss.code !== 'custom' || message.startsWith('expected'))) {
      message = message
        .replace(/^Invalid input: /, '')
        .replace(/^Too small: /, '')
        .replace(/^Too big: /, '');
      message += `, got ${describe(iss.input)}`;
    }
    issues.push({ path, message });
  }
  return issues;
}

/** Parses input with a schema; on failure throws one ValidationError listing every problem. */
export function validate<S extends z.ZodType>(schema: S, input: unknown, source?: string, prefix = ''): z.output<S> {
  const res = schema.safeParse(input, { reportInput: true });
  if (res.success) return res.data;
  throw new ValidationError(toIssues(schema, res.error, prefix, input), source);
}
