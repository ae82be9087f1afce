import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { convertText, convertedYaml, formatWarning, refuseWarnings } from '../import/index.js';
import { type GlobalOptions, readFileText } from './config.js';

/**
 * `skyfleet convert -f FILE [--strict]`: the skyfleet YAML of a Kubernetes manifest or Compose
 * file on stdout (its notes and warnings as comments at the top, and on stderr); -o json prints
 * { format, documents, notes, warnings }. --strict: any warning is an error (exit 2, no output).
 */
export async function convertCommand(opts: GlobalOptions, cmd: { filename: string; strict?: boolean }): Promise<void> {
  const file = cmd.filename;
  const base = file === '-' ? process.cwd() : dirname(resolve(file));
  const result = convertText(readFileText(file), {
    source: file,
    readRelative: (path) => {
      try {
        return readFileSync(resolve(base, path), 'utf8');
      } catch {
        return undefined;
      }
    },
  });
  if (cmd.strict) refuseWarnings(result, file);
  for (const w of result.warnings) process.stderr.write(`warning: ${formatWarning(w)}\n`);
  if (opts.output === 'json') {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  process.stdout.write(convertedYaml(result, file));
}
