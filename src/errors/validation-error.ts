import { SkyfleetError } from './skyfleet-error.js';

export interface ValidationIssue {
  /** Dotted path with [i] indexes, e.g. `spec.template.containers[0].ports[0].containerPort`. */
  path: string;
  /** What was expected and what was found, e.g. `expected an integer 1-65535, got "http"`. */
  message: string;
}

/** Bad input: lists every problem with its path. Terminal; the CLI exits 2 and changes nothing. */
export class ValidationError extends SkyfleetError {
  readonly issues: readonly ValidationIssue[];
  readonly source: string | undefined;

  constructor(issues: readonly ValidationIssue[], source?: string) {
    const where = source ? ` in ${source}` : '';
    const lines = issues.map((i) => `  - ${i.path ? `${i.path}: ` : ''}${i.message}`);
    super(
      'invalid_input',
      `invalid input${where} (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${lines.join('\n')}`,
    );
    this.issues = issues;
    this.source = source;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), issues: this.issues };
  }
}
