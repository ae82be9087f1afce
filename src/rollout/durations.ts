import { parseDurationMs } from '../util/duration.js';

/** A spec duration (validated by the schema) -> milliseconds. */
export function durationMs(value: string | number): number {
  return parseDurationMs(value) ?? 0;
}
