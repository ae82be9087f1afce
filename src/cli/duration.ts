import { ValidationError } from '../errors/index.js';
import { parseDurationMs } from '../util/duration.js';

/** A duration flag ("90s", "10m", "1h30m", "500ms" or plain seconds) -> milliseconds, or a ValidationError naming the flag. */
export function parseDuration(text: string, flag: string): number {
  const ms = parseDurationMs(text);
  if (ms === undefined) {
    throw new ValidationError([
      { path: flag, message: `expected a duration such as 90s, 10m or 1h30m, got ${JSON.stringify(text)}` },
    ]);
  }
  return ms;
}
