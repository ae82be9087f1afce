import { readFileSync } from 'node:fs';
import type { ModelChecker } from '../framework/index.js';
import { referencePath } from '../reference/reference-path.js';

/**
 * Checks JSON values against the ACI OpenAPI model in
 * emulators/reference/azure-container-instances/containerInstance.2026-05-01.json (plus the
 * common-types excerpt it `$ref`s): required properties, types, int32, enums, unknown properties, and secrets (`x-ms-secret`) in responses (where a required
 * secret may be absent: ARM redacts them, see the reference README's "Quirks").
 *
 * The SDK sends api-version 2023-05-01, whose model differs (reference README, "Versions"): it
 * requires `properties.osType` and a container's `image` and `resources`, and it lacks
 * `secretReferences`, `identityAcls`, `containerGroupProfile`, `standbyPoolProfile` and
 * `isCreatedFromStandbyPool`. `version: '2023-05-01'` applies those differences.
 */
export const REFERENCE_DIR = referencePath('azure-container-instances');

type Schema = {
  $ref?: string;
  type?: string;
  format?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  allOf?: Schema[];
  additionalProperties?: boolean | Schema;
  readOnly?: boolean;
  'x-ms-secret'?: boolean;
  minimum?: number;
  maximum?: number;
};

interface Doc {
  definitions: Record<string, Schema>;
}

const COMMON_REF = '../../../../../../common-types/resource-management/v5/types.json';

const V2023_REQUIRED: Record<string, string[]> = {
  ContainerGroupPropertiesProperties: ['osType'],
  ContainerProperties: ['image', 'resources'],
};
const V2023_ABSENT: Record<string, string[]> = {
  ContainerGroupPropertiesProperties: [
    'secretReferences',
    'identityAcls',
    'containerGroupProfile',
    'standbyPoolProfile',
    'isCreatedFromStandbyPool',
  ],
  ListResultContainerGroupPropertiesProperties: [
    'secretReferences',
    'identityAcls',
    'containerGroupProfile',
    'standbyPoolProfile',
    'isCreatedFromStandbyPool',
  ],
  EnvironmentVariable: ['secureValueReference'],
  ImageRegistryCredential: ['passwordReference'],
};

export interface CheckOptions {
  /** `request`: read-only properties are ignored (as ARM does). `response`: secret properties are problems. */
  direction: 'request' | 'response';
}

export class ArmModelChecker implements ModelChecker {
  private readonly spec: Doc;
  private readonly common: Doc;

  constructor(
    readonly version: '2023-05-01' | '2026-05-01' = '2023-05-01',
    private readonly direction: CheckOptions['direction'] = 'response',
  ) {
    this.spec = JSON.parse(readFileSync(`${REFERENCE_DIR}/containerInstance.2026-05-01.json`, 'utf8')) as Doc;
    this.common = JSON.parse(readFileSync(`${REFERENCE_DIR}/common-types-v5.excerpt.json`, 'utf8')) as Doc;
  }

  /** A checker of the same model for the other direction. */
  for(direction: CheckOptions['direction']): ArmModelChecker {
    return new ArmModelChecker(this.version, direction);
  }

  check(shapeName: string, value: unknown): string[] {
    const problems: string[] = [];
    const def = this.spec.definitions[shapeName] ?? this.common.definitions[shapeName];
    if (!def) return [`(model): no definition named ${shapeName}`];
    this.walk(
      {
        $ref: this.spec.definitions[shapeName]
          ? `#/definitions/${shapeName}`
          : `${COMMON_REF}#/definitions/${shapeName}`,
      },
      value,
      '',
      this.spec,
      problems,
    );
    return problems;
  }

  private resolve(ref: string, doc: Doc): { name: string; schema: Schema; doc: Doc } {
    const [file, pointer] = ref.split('#');
    const target = file ? (file === COMMON_REF ? this.common : undefined) : doc;
    const name = pointer?.replace('/definitions/', '') ?? '';
    const schema = target?.definitions[name];
    if (!target || !schema) throw new Error(`unresolvable $ref ${ref}`);
    return { name, schema, doc: target };
  }

  /** Collects the effective properties/required of a schema through allOf. */
  private flatten(
    schema: Schema,
    doc: Doc,
    name?: string,
  ): {
    props: Record<string, { s: Schema; doc: Doc }>;
    required: Set<string>;
    additional?: { s: Schema; doc: Doc } | boolean;
  } {
    const props: Record<string, { s: Schema; doc: Doc }> = {};
    const required = new Set<string>(schema.required ?? []);
    let additional: { s: Schema; doc: Doc } | boolean | undefined;
    for (const part of schema.allOf ?? []) {
      const r = part.$ref ? this.resolve(part.$ref, doc) : { name: undefined, schema: part, doc };
      const f = this.flatten(r.schema, r.doc, r.name);
      Object.assign(props, f.props);
      for (const q of f.required) required.add(q);
      additional ??= f.additional;
    }
    for (const [k, s] of Object.entries(schema.properties ?? {})) props[k] = { s, doc };
    if (schema.additionalProperties !== undefined) {
      additional =
        typeof schema.additionalProperties === 'boolean'
          ? schema.additionalProperties
          : { s: schema.additionalProperties, doc };
    }
    if (this.version === '2023-05-01' && name) {
      for (const q of V2023_REQUIRED[name] ?? []) required.add(q);
      for (const q of V2023_ABSENT[name] ?? []) delete props[q];
    }
    return { props, required, ...(additional !== undefined ? { additional } : {}) };
  }

  private walk(schema: Schema, value: unknown, path: string, doc: Doc, problems: string[], name?: string): void {
    const at = path || '(root)';
    if (schema.$ref) {
      const r = this.resolve(schema.$ref, doc);
      // a property's own readOnly/secret flags sit beside its $ref
      this.walk({ ...r.schema, ...(schema.readOnly ? { readOnly: true } : {}) }, value, path, r.doc, problems, r.name);
      return;
    }
    if (value === undefined) return;
    if (value === null) {
      problems.push(`${at}: null is not allowed`);
      return;
    }
    if (schema.enum && !schema.enum.includes(value)) {
      problems.push(
        `${at}: ${JSON.stringify(value)} is not one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}`,
      );
    }
    const type = schema.type ?? (schema.properties || schema.allOf ? 'object' : undefined);
    switch (type) {
      case 'string':
        if (typeof value !== 'string') problems.push(`${at}: expected a string, got ${JSON.stringify(value)}`);
        else if (schema.format === 'date-time' && Number.isNaN(Date.parse(value)))
          problems.push(`${at}: expected a date-time, got ${value}`);
        return;
      case 'integer':
        if (typeof value !== 'number' || !Number.isInteger(value))
          problems.push(`${at}: expected an integer, got ${JSON.stringify(value)}`);
        else if (schema.format === 'int32' && (value > 2 ** 31 - 1 || value < -(2 ** 31)))
          problems.push(`${at}: ${value} is not an int32`);
        return;
      case 'number':
        if (typeof value !== 'number' || !Number.isFinite(value))
          problems.push(`${at}: expected a number, got ${JSON.stringify(value)}`);
        else {
          if (schema.minimum !== undefined && value < schema.minimum)
            problems.push(`${at}: ${value} is below ${schema.minimum}`);
          if (schema.maximum !== undefined && value > schema.maximum)
            problems.push(`${at}: ${value} is above ${schema.maximum}`);
        }
        return;
      case 'boolean':
        if (typeof value !== 'boolean') problems.push(`${at}: expected a boolean, got ${JSON.stringify(value)}`);
        return;
      case 'array':
        if (!Array.isArray(value)) {
          problems.push(`${at}: expected an array`);
          return;
        }
        value.forEach((v, i) => {
          if (schema.items) this.walk(schema.items, v, `${path}[${i}]`, doc, problems);
        });
        return;
      case 'object': {
        if (typeof value !== 'object' || Array.isArray(value)) {
          problems.push(`${at}: expected an object`);
          return;
        }
        // a bare `type: object` (e.g. ErrorAdditionalInfo.info) is free-form
        if (!schema.properties && !schema.allOf && schema.additionalProperties === undefined) return;
        const f = this.flatten(schema, doc, name);
        const obj = value as Record<string, unknown>;
        for (const r of f.required) {
          if (
            obj[r] === undefined &&
            !(this.direction === 'request' && f.props[r]?.s.readOnly) &&
            !(this.direction === 'response' && f.props[r]?.s['x-ms-secret'])
          )
            problems.push(`${path ? `${path}.` : ''}${r}: required`);
        }
        for (const [k, v] of Object.entries(obj)) {
          const p = `${path ? `${path}.` : ''}${k}`;
          const prop = f.props[k];
          if (!prop) {
            if (f.additional && typeof f.additional === 'object')
              this.walk(f.additional.s, v, p, f.additional.doc, problems);
            else if (f.additional !== true)
              problems.push(
                `${p}: not in the model${this.version === '2023-05-01' ? ' (api-version 2023-05-01)' : ''}`,
              );
            continue;
          }
          // read-only properties in a request are ignored by ARM (the SDK sends an instance view back
          // when a group read with GET is PUT again), so they are not checked further
          if (this.direction === 'request' && prop.s.readOnly) continue;
          if (this.direction === 'response' && prop.s['x-ms-secret'] && v !== undefined)
            problems.push(`${p}: a secret (x-ms-secret) returned in a response`);
          this.walk(prop.s, v, p, prop.doc, problems);
        }
        return;
      }
      default:
        return;
    }
  }
}
