import { stringify } from 'yaml';
import { type LoadedDocuments, loadDocuments } from '../spec/load.js';
import type { ReadRelative } from './compose/index.js';
import { type ConvertResult, convertText, refuseWarnings } from './convert.js';

export interface LoadedInput extends LoadedDocuments {
  /** The conversion, when the input was not (only) skyfleet documents. */
  conversion?: ConvertResult;
}

/**
 * The documents of a file `apply`, `plan` and `delete` take: skyfleet documents as they are,
 * Kubernetes manifests and Compose files converted first (strict: any warning is an error).
 */
export function loadInput(
  text: string,
  source: string,
  options: { strict?: boolean; readRelative?: ReadRelative } = {},
): LoadedInput {
  let result: ConvertResult;
  try {
    result = convertText(text, { source, ...(options.readRelative ? { readRelative: options.readRelative } : {}) });
  } catch (e) {
    loadDocuments(text, source); // YAML errors read as they always have
    throw e;
  }
  if (result.format === 'skyfleet') return loadDocuments(text, source);
  if (options.strict) refuseWarnings(result, source);
  const yaml = result.documents.map((d) => stringify(d, { lineWidth: 0 })).join('---\n');
  return { ...loadDocuments(yaml, `${source} (converted from ${result.format})`), conversion: result };
}
