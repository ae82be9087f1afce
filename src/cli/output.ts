import { UsageError } from './usage-error.js';
import type { GlobalOptions } from './config.js';

export type OutputFormat = 'table' | 'json' | 'yaml';

export function outputFormat(opts: GlobalOptions): OutputFormat {
  const o = opts.output ?? 'table';
  if (o !== 'table' && o !== 'json' && o !== 'yaml') {
    throw new UsageError(`-o/--output: expected table, json or yaml, got ${JSON.stringify(o)}`);
  }
  return o;
}

/** Prints structured data as JSON or YAML, or calls the table renderer. */
export async function emit(format: OutputFormat, data: unknown, tableText: () => string): Promise<void> {
  if (format === 'json') process.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
  else if (format === 'yaml') {
    const { stringify } = await import('yaml');
    process.stdout.write(stringify(data));
  } else process.stdout.write(`${tableText()}\n`);
}
