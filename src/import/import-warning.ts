/** A step of a path into the input: a key, or an index of a list. */
export type PathPart = string | number;

/**
 * Something of the input that was not carried over as it was: the document (1-based, when the
 * file has more than one), the path of the field in that document, and why.
 */
export interface ImportWarning {
  document?: number;
  path: PathPart[];
  message: string;
}

/** `spec.template.spec.volumes[0]`, prefixed by `document 2: ` in a multi-document file. */
export function formatInputPath(document: number | undefined, path: readonly PathPart[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${p}` : p;
  return document === undefined ? out : `document ${document}${out ? `: ${out}` : ''}`;
}

export function formatWarning(w: ImportWarning): string {
  const where = formatInputPath(w.document, w.path);
  return `${where ? `${where}: ` : ''}${w.message}`;
}
