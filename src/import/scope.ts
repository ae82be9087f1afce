import type { ImportWarning, PathPart } from './import-warning.js';

/** What a conversion says beside its output: warnings (something not carried over) and notes. */
export interface ImportReport {
  warnings: ImportWarning[];
  /** How something the input lacks is chosen (targets, ordering): information, not a loss. */
  notes: string[];
}

/** A place in the input (document and path) where conversion reports what it could not carry over. */
export class Scope {
  constructor(
    readonly report: ImportReport,
    readonly document: number | undefined,
    readonly path: readonly PathPart[] = [],
  ) {}

  at(...rel: PathPart[]): Scope {
    return new Scope(this.report, this.document, [...this.path, ...rel]);
  }

  warn(message: string, ...rel: PathPart[]): void {
    this.report.warnings.push({
      ...(this.document !== undefined ? { document: this.document } : {}),
      path: [...this.path, ...rel],
      message,
    });
  }

  note(message: string): void {
    if (!this.report.notes.includes(message)) this.report.notes.push(message);
  }
}

export type Plain = Record<string, unknown>;

export function isPlain(v: unknown): v is Plain {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Names every key of `obj` that is not `handled` in a warning (with the reason given for it, or
 * `fallback`): nothing of the input is dropped without saying so.
 */
export function warnUnhandled(
  scope: Scope,
  obj: Plain,
  handled: readonly string[],
  reasons: Readonly<Record<string, string>>,
  fallback: string,
): void {
  for (const key of Object.keys(obj)) {
    if (handled.includes(key)) continue;
    scope.warn(reasons[key] ?? fallback, key);
  }
}

/** A value as text for a message (short). */
export function show(v: unknown): string {
  const s = typeof v === 'string' ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v));
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
