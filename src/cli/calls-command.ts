import { type CallLogSummary, summarizeCallLog } from '../calllog/summarize.js';
import { type GlobalOptions, readFileText } from './config.js';
import { emit, outputFormat } from './output.js';
import { table } from './table.js';

/** Milliseconds for people: `850ms`, `12.3s`. */
export function formatMs(ms: number): string {
  if (ms < 10) return `${Math.round(ms * 10) / 10}ms`;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  return `${(ms / 1000).toFixed(1)}s`;
}

/** The table view: one row per cloud and target, then each target's operations. */
export function formatCallSummary(s: CallLogSummary): string {
  if (!s.targets.length && !s.malformed.length) return 'no calls';
  const parts: string[] = [];
  if (s.targets.length) {
    parts.push(
      table(
        ['CLOUD', 'TARGET', 'CALLS', 'WRITES', 'READS', 'ERRORS', 'RETRIES', 'TOTAL', 'P50', 'MAX'],
        s.targets.map((t) => [
          t.cloud,
          t.target,
          t.calls,
          t.writes,
          t.reads,
          t.errors,
          t.retries,
          formatMs(t.totalMs),
          formatMs(t.p50Ms),
          formatMs(t.maxMs),
        ]),
      ),
    );
    for (const t of s.targets) {
      parts.push(
        `${t.cloud} ${t.target}\n${table(
          ['OPERATION', 'KIND', 'CALLS', 'ERRORS', 'RETRIES', 'TOTAL'],
          t.operations.map((o) => [
            o.operation,
            o.write ? 'write' : 'read',
            o.calls,
            o.errors,
            o.retries,
            formatMs(o.totalMs),
          ]),
        )}`,
      );
    }
  }
  if (s.malformed.length) {
    const shown = s.malformed.slice(0, 20).map((m) => `  line ${m.line}: ${m.error}`);
    const more = s.malformed.length > 20 ? [`  ... and ${s.malformed.length - 20} more`] : [];
    parts.push([`malformed lines: ${s.malformed.length} (skipped)`, ...shown, ...more].join('\n'));
  }
  return parts.join('\n\n');
}

/** `skyfleet calls summarize FILE`: per cloud and target, what a call log holds. Malformed lines are reported, not fatal. */
export async function callsSummarizeCommand(opts: GlobalOptions, file: string): Promise<void> {
  const format = outputFormat(opts);
  const summary = summarizeCallLog(readFileText(file));
  await emit(format, { file, ...summary }, () => formatCallSummary(summary));
}
