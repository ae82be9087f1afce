// The real-world corpus the import tests read, and how a warning's path is checked against it.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { ImportWarning } from '../../../src/import/import-warning.js';

/** The shared corpus of real-world files (as the cloud tests read /work/shared/reference); SKYFLEET_CORPUS overrides. */
export const CORPUS = process.env.SKYFLEET_CORPUS ?? '/work/shared/corpus';

/** Every corpus file, as [folder/name, absolute path]; fails (never skips) when the corpus is missing. */
export function corpusFiles(): Array<[string, string]> {
  if (!existsSync(CORPUS)) throw new Error(`the corpus is missing: expected ${CORPUS} (set SKYFLEET_CORPUS)`);
  return ['kubernetes-examples', 'awesome-compose'].flatMap((sub) =>
    readdirSync(join(CORPUS, sub))
      .filter((f) => /\.ya?ml$/.test(f))
      .sort()
      .map((f): [string, string] => [`${sub}/${f}`, join(CORPUS, sub, f)]),
  );
}

/** Whether a warning's document and path lead to a value of the parsed input. */
export function resolves(text: string, w: ImportWarning): boolean {
  const docs = parseAllDocuments(text);
  const list = Array.isArray(docs) ? docs : [docs];
  if (w.document === undefined && list.length > 1) return false;
  let v: unknown = list[(w.document ?? 1) - 1]?.toJS();
  for (const p of w.path) {
    if (v === null || typeof v !== 'object' || !Object.hasOwn(v, p)) return false;
    v = (v as Record<string | number, unknown>)[p];
  }
  return v !== undefined;
}
