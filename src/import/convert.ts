import { parseAllDocuments, stringify } from 'yaml';
import { ValidationError, type ValidationIssue } from '../errors/index.js';
import { API_VERSION, deployment } from '../spec/deployment.js';
import { toIssues } from '../spec/validate.js';
import { type ReadRelative, convertCompose, isComposeFile } from './compose/index.js';
import { type ImportWarning, formatInputPath, formatWarning } from './import-warning.js';
import { type KubernetesObject, convertKubernetes, flattenLists } from './kubernetes/index.js';
import { type ImportReport, type Plain, Scope, isPlain, show } from './scope.js';

export interface ConvertOptions {
  /** The file's name, for messages. */
  source?: string;
  /** Reads files the input names (Compose env_file), relative to it. */
  readRelative?: ReadRelative;
}

export interface ConvertResult {
  /** What the input was: skyfleet documents only, or another tool's (possibly with skyfleet ones). */
  format: 'skyfleet' | 'kubernetes' | 'compose' | 'mixed';
  /** skyfleet documents, in apply order (skyfleet documents of the input kept as they were). */
  documents: Plain[];
  warnings: ImportWarning[];
  notes: string[];
}

/** Most aliases one document may expand (YAML's "billion laughs" guard), as loadDocuments. */
const MAX_ALIAS_COUNT = 100;

/**
 * Converts a YAML (or JSON) text of Kubernetes objects, a Compose file, or skyfleet documents to
 * skyfleet documents. Every field of the input is carried over or named in a warning (document,
 * path, why); what is produced is a valid skyfleet spec (else a ValidationError names the problem).
 */
export function convertText(text: string, options: ConvertOptions = {}): ConvertResult {
  const source = options.source ?? 'input';
  const docs = parseAllDocuments(text, { prettyErrors: true });
  const list = Array.isArray(docs) ? docs : [docs];
  const multi = list.length > 1;
  const report: ImportReport = { warnings: [], notes: [] };
  const issues: ValidationIssue[] = [];
  const values: Array<{ value: unknown; scope: Scope }> = [];
  list.forEach((doc, i) => {
    const document = multi ? i + 1 : undefined;
    for (const e of doc.errors)
      issues.push({ path: formatInputPath(document, []), message: `YAML syntax: ${e.message.split('\n')[0]}` });
    if (doc.errors.length) return;
    try {
      values.push({ value: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }), scope: new Scope(report, document) });
    } catch (e) {
      issues.push({
        path: formatInputPath(document, []),
        message: `YAML: ${(e as Error).message} (more than ${MAX_ALIAS_COUNT} aliases expanded): write the values out`,
      });
    }
  });
  if (issues.length) throw new ValidationError(issues, source);

  const out: Array<{ at: number; doc: Plain }> = [];
  const kube: KubernetesObject[] = [];
  const kinds = new Set<'skyfleet' | 'kubernetes' | 'compose'>();
  values.forEach(({ value, scope }, index) => {
    if (value === null || value === undefined) return;
    if (!isPlain(value)) {
      scope.warn(`expected a Kubernetes object, a Compose file or a skyfleet document, got ${show(value)}: ignored`);
      return;
    }
    if (value.apiVersion === API_VERSION) {
      kinds.add('skyfleet');
      out.push({ at: index, doc: value });
    } else if (isComposeFile(value)) {
      kinds.add('compose');
      for (const d of convertCompose(scope, value, options.readRelative)) out.push({ at: index, doc: d as Plain });
    } else if (typeof value.kind === 'string' || typeof value.apiVersion === 'string') {
      kinds.add('kubernetes');
      kube.push(...flattenLists(value, scope));
    } else {
      scope.warn(
        'neither a Kubernetes object (apiVersion, kind), a Compose file (services) nor a skyfleet document: ignored',
      );
    }
  });
  const converted = kube.length ? convertKubernetes(kube) : [];
  // skyfleet documents first (the Fleet), then Compose, then Kubernetes deployments
  const documents = [...out.map((o) => o.doc), ...(converted as Plain[])];
  const foreign = [...kinds].filter((k) => k !== 'skyfleet');
  const format = kinds.size === 0 || foreign.length === 0 ? 'skyfleet' : kinds.size > 1 ? 'mixed' : foreign[0]!;
  if (format !== 'skyfleet') {
    const imported = documents.filter((d) => d.apiVersion === API_VERSION && d.kind === 'Deployment');
    const placementOf = (d: Plain) => (isPlain(d.spec) && isPlain(d.spec.placement) ? d.spec.placement : {});
    if (imported.some((d) => placementOf(d).targets === undefined))
      report.notes.push(
        "placement: the input names no targets, so each deployment runs on the fleet's targets (all of them, spread evenly over their zones: the placement defaults); set spec.placement.targets to choose",
      );
    validateConverted(documents, source);
  }
  return { format, documents, warnings: report.warnings, notes: report.notes };
}

function validateConverted(documents: Plain[], source: string): void {
  const issues: ValidationIssue[] = [];
  for (const d of documents) {
    if (d.kind !== 'Deployment') continue;
    const res = deployment.safeParse(d, { reportInput: true });
    if (res.success) continue;
    const name = isPlain(d.metadata) ? String(d.metadata.name) : '?';
    for (const i of toIssues(deployment, res.error, '', d))
      issues.push({ path: `converted deployment ${name}: ${i.path}`, message: i.message });
  }
  if (issues.length) throw new ValidationError(issues, source);
}

/** The skyfleet YAML of a conversion, its notes and warnings as comments at the top. */
export function convertedYaml(result: ConvertResult, source: string): string {
  const head = [
    `# converted from ${source} (${result.format}) by skyfleet convert`,
    ...result.notes.map((n) => `# note: ${n}`),
    ...result.warnings.map((w) => `# warning: ${formatWarning(w)}`),
  ];
  const body = result.documents.map((d) => stringify(d, { lineWidth: 0 })).join('---\n');
  return `${head.map((l) => l.replace(/\n/g, ' ')).join('\n')}\n${body}`;
}

/** --strict: every warning is an error (the CLI exits 2 and changes nothing). */
export function refuseWarnings(result: ConvertResult, source: string): void {
  if (!result.warnings.length) return;
  throw new ValidationError(
    result.warnings.map((w) => ({ path: formatInputPath(w.document, w.path), message: `${w.message} (--strict)` })),
    source,
  );
}
