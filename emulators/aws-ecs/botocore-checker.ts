import { readFileSync } from 'node:fs';
import type { ModelChecker } from '../framework/index.js';
import { referencePath } from '../reference/reference-path.js';

/** The reference model: emulators/reference/aws-ecs/ecs-2014-11-13.service-2.full.json (botocore). */
export const ECS_MODEL_PATH = referencePath('aws-ecs', 'ecs-2014-11-13.service-2.full.json');
export const ECS_EXAMPLES_PATH = referencePath('aws-ecs', 'ecs-2014-11-13.examples-1.subset.json');

interface Shape {
  type: string;
  required?: string[];
  members?: Record<string, { shape: string }>;
  member?: { shape: string };
  key?: { shape: string };
  value?: { shape: string };
  enum?: string[];
  min?: number;
  max?: number;
  pattern?: string;
}

export interface BotocoreModel {
  metadata: Record<string, unknown>;
  operations: Record<
    string,
    { input?: { shape: string }; output?: { shape: string }; errors?: Array<{ shape: string }> }
  >;
  shapes: Record<string, Shape>;
}

let cached: BotocoreModel | undefined;
export function loadEcsModel(): BotocoreModel {
  cached ??= JSON.parse(readFileSync(ECS_MODEL_PATH, 'utf8')) as BotocoreModel;
  return cached;
}

/**
 * Checks JSON values against botocore shapes: structure members (unknown members and missing
 * required ones), list/map element shapes and lengths, string enums, lengths and patterns
 * (anchored, Unicode), integer ranges, booleans, and timestamps as epoch seconds (the awsJson1_1
 * wire format). A pattern JavaScript cannot compile is a problem of its own, never skipped.
 */
export class BotocoreChecker implements ModelChecker {
  private readonly patterns = new Map<string, RegExp | string>();
  constructor(readonly model: BotocoreModel = loadEcsModel()) {}

  inputShape(operation: string): string | undefined {
    return this.model.operations[operation]?.input?.shape;
  }
  outputShape(operation: string): string | undefined {
    return this.model.operations[operation]?.output?.shape;
  }

  private textTimestamps = false;

  check(shapeName: string, value: unknown): string[] {
    const problems: string[] = [];
    this.walk(shapeName, value, '', problems);
    return problems;
  }

  /** Like `check`, for botocore's examples file, which writes timestamps as ISO text, not epoch seconds. */
  checkExample(shapeName: string, value: unknown): string[] {
    this.textTimestamps = true;
    try {
      return this.check(shapeName, value);
    } finally {
      this.textTimestamps = false;
    }
  }

  /** The compiled pattern, or why it does not compile. */
  private regex(p: string): RegExp | string {
    if (!this.patterns.has(p)) {
      try {
        this.patterns.set(p, new RegExp(`^(?:${p})$`, 'u'));
      } catch (e) {
        this.patterns.set(p, (e as Error).message);
      }
    }
    return this.patterns.get(p)!;
  }

  private walk(name: string, v: unknown, path: string, out: string[]): void {
    const shape = this.model.shapes[name];
    const at = path || '(root)';
    if (!shape) {
      out.push(`${at}: unknown shape ${name}`);
      return;
    }
    if (v === null || v === undefined) {
      out.push(`${at}: null is not a ${name}`);
      return;
    }
    switch (shape.type) {
      case 'structure': {
        if (typeof v !== 'object' || Array.isArray(v)) return void out.push(`${at}: expected an object (${name})`);
        const obj = v as Record<string, unknown>;
        for (const r of shape.required ?? [])
          if (obj[r] === undefined) out.push(`${path ? `${path}.` : ''}${r}: required member of ${name} is missing`);
        for (const [k, x] of Object.entries(obj)) {
          const m = shape.members?.[k];
          if (!m) out.push(`${path ? `${path}.` : ''}${k}: not a member of ${name}`);
          else if (x !== undefined) this.walk(m.shape, x, `${path ? `${path}.` : ''}${k}`, out);
        }
        return;
      }
      case 'list': {
        if (!Array.isArray(v)) return void out.push(`${at}: expected a list (${name})`);
        if (shape.min !== undefined && v.length < shape.min)
          out.push(`${at}: ${v.length} items, fewer than ${shape.min}`);
        if (shape.max !== undefined && v.length > shape.max)
          out.push(`${at}: ${v.length} items, more than ${shape.max}`);
        for (const [i, x] of v.entries()) this.walk(shape.member!.shape, x, `${path}[${i}]`, out);
        return;
      }
      case 'map': {
        if (typeof v !== 'object' || Array.isArray(v)) return void out.push(`${at}: expected a map (${name})`);
        for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
          this.walk(shape.key!.shape, k, `${path}{key ${k}}`, out);
          this.walk(shape.value!.shape, x, `${path}.${k}`, out);
        }
        return;
      }
      case 'string': {
        if (typeof v !== 'string') return void out.push(`${at}: expected a string (${name}), got ${typeof v}`);
        if (shape.enum && !shape.enum.includes(v)) out.push(`${at}: "${v}" is not one of ${shape.enum.join(', ')}`);
        if (shape.min !== undefined && v.length < shape.min) out.push(`${at}: shorter than ${shape.min}`);
        if (shape.max !== undefined && v.length > shape.max) out.push(`${at}: longer than ${shape.max}`);
        if (shape.pattern) {
          const re = this.regex(shape.pattern);
          if (typeof re === 'string')
            out.push(`${at}: the pattern ${shape.pattern} of ${name} does not compile: ${re}`);
          else if (!re.test(v)) out.push(`${at}: "${v}" does not match ${shape.pattern}`);
        }
        return;
      }
      case 'integer':
      case 'long': {
        if (typeof v !== 'number' || !Number.isInteger(v)) return void out.push(`${at}: expected an integer (${name})`);
        if (shape.min !== undefined && v < shape.min) out.push(`${at}: ${v} is below the minimum ${shape.min}`);
        if (shape.max !== undefined && v > shape.max) out.push(`${at}: ${v} is above the maximum ${shape.max}`);
        return;
      }
      case 'double':
      case 'float':
        if (typeof v !== 'number') out.push(`${at}: expected a number (${name})`);
        return;
      case 'boolean':
        if (typeof v !== 'boolean') out.push(`${at}: expected a boolean (${name})`);
        return;
      case 'timestamp':
        if (typeof v !== 'number' && !(this.textTimestamps && typeof v === 'string' && !Number.isNaN(Date.parse(v)))) {
          out.push(`${at}: expected epoch seconds (${name})`);
        }
        return;
      default:
        return;
    }
  }
}
