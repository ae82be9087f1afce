import { parseAllDocuments } from 'yaml';
import { ValidationError, type ValidationIssue } from '../errors/index.js';
import { type Deployment, deployment } from './deployment.js';
import { type FleetSpec, fleetSpec } from './fleet.js';
import { toIssues } from './validate.js';

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
  list.forEach((doc, index) => {
    const where = list.length > 1 ? `document ${index + 1}: ` : '';
    for (const e of doc.errors) {
      issues.push({ path: `${where.slice(0, -2)}`, message: `YAML syntax: ${e.message.split('\n')[0]}` });
    }
    if (doc.errors.length) return;
    const value = doc.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) return;
    try {
      const docsOut = parseObject(value);
      if (docsOut.fleet) {
        if (out.fleet) issues.push({ path: `${where}kind`, message: 'only one Fleet document is allowed' });
        out.fleet = docsOut.fleet;
      }
      if (docsOut.deployment) out.deployments.push(docsOut.deployment);
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      for (const i of e.issues) issues.push({ path: `${where}${i.path}`, message: i.message });
    }
  });
  const seen = new Set<string>();
  for (const d of out.deployments) {
    if (seen.has(d.metadata.name))
      issues.push({ path: 'metadata.name', message: `deployment "${d.metadata.name}" is defined twice` });
    seen.add(d.metadata.name);
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
