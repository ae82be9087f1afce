import { parseAllDocuments } from 'yaml';
import { ValidationError, type ValidationIssue } from '../errors/index.js';
import { type Deployment, deployment } from './deployment.js';
import { type FleetSpec, fleetSpec } from './fleet.js';
import { toIssues } from './validate.js';

/** Where each loaded deployment came from ("web.yaml, document 2 (deployment api)"), for later errors. */
const sources = new WeakMap<object, string>();

/** The label of the file and document a deployment was loaded from, if it was. */
export function sourceOf(d: object): string | undefined {
  return sources.get(d);
}

/** Records where `d` came from (a copy of a loaded deployment keeps its origin this way). */
export function labelSource<T extends object>(d: T, source: string | undefined): T {
  if (source !== undefined) sources.set(d, source);
  return d;
}

/** Most aliases one document may expand (YAML's "billion laughs" guard). */
const MAX_ALIAS_COUNT = 100;

export interface LoadedDocuments {
  fleet: FleetSpec | undefined;
  deployments: Deployment[];
}

/**
 * Parses a multi-document YAML (or JSON) text of Fleet and Deployment objects. Every problem of
 * every document is collected into one ValidationError; nothing is returned half-valid.
 */
export function loadDocuments(text: string, source = 'input'): LoadedDocuments {
  const issues: ValidationIssue[] = [];
  const out: LoadedDocuments = { fleet: undefined, deployments: [] };
  const docs = parseAllDocuments(text, { prettyErrors: true });
  const list = Array.isArray(docs) ? docs : [docs];
  const documentOf = new Map<Deployment, number>();
  list.forEach((doc, index) => {
    const where = list.length > 1 ? `document ${index + 1}: ` : '';
    for (const e of doc.errors) {
      issues.push({ path: `${where.slice(0, -2)}`, message: `YAML syntax: ${e.message.split('\n')[0]}` });
    }
    if (doc.errors.length) return;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (e) {
      // yaml throws a ReferenceError for an alias bomb (exponential expansion)
      issues.push({
        path: `document ${index + 1}`,
        message: `YAML: ${(e as Error).message} (more than ${MAX_ALIAS_COUNT} aliases expanded): write the values out, or use fewer aliases`,
      });
      return;
    }
    if (value === null || value === undefined) return;
    try {
      const docsOut = parseObject(value);
      if (docsOut.fleet) {
        if (out.fleet) issues.push({ path: `${where}kind`, message: 'only one Fleet document is allowed' });
        out.fleet = docsOut.fleet;
      }
      if (docsOut.deployment) {
        const label = `${source}${list.length > 1 ? `, document ${index + 1}` : ''} (deployment ${docsOut.deployment.metadata.name})`;
        out.deployments.push(labelSource(docsOut.deployment, label));
        documentOf.set(docsOut.deployment, index + 1);
      }
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      for (const i of e.issues) issues.push({ path: `${where}${i.path}`, message: i.message });
    }
  });
  const seen = new Map<string, number>();
  for (const d of out.deployments) {
    const at = documentOf.get(d)!;
    const first = seen.get(d.metadata.name);
    if (first !== undefined)
      issues.push({
        path: `document ${at}: metadata.name`,
        message: `deployment "${d.metadata.name}" is defined twice, in documents ${first} and ${at}: rename one or remove it`,
      });
    else seen.set(d.metadata.name, at);
  }
  if (issues.length) throw new ValidationError(issues, source);
  return out;
}

/** Validates one plain object (from YAML or TypeScript) by its `kind`. */
export function parseObject(value: unknown): { fleet?: FleetSpec; deployment?: Deployment } {
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new ValidationError([{ path: '', message: 'expected an object with apiVersion, kind, metadata' }]);
  }
  const kind = (value as { kind?: unknown }).kind;
  if (kind === 'Fleet') return { fleet: parseFleet(value) };
  if (kind === 'Deployment') return { deployment: parseDeployment(value) };
  throw new ValidationError([
    {
      path: 'kind',
      message: `expected "Fleet" or "Deployment", got ${kind === undefined ? 'nothing' : JSON.stringify(kind)}`,
    },
  ]);
}

export function parseDeployment(value: unknown, source?: string): Deployment {
  const res = deployment.safeParse(value, { reportInput: true });
  if (res.success) return res.data;
  throw new ValidationError(toIssues(deployment, res.error, '', value), source);
}

export function parseFleet(value: unknown, source?: string): FleetSpec {
  const res = fleetSpec.safeParse(value, { reportInput: true });
  if (res.success) return res.data;
  throw new ValidationError(toIssues(fleetSpec, res.error, '', value), source);
}
