import { ValidationError } from '../errors/index.js';

/** "90s", "10m", "1h30m", "500ms" or plain seconds -> milliseconds. */
export function parseDuration(text: string, flag: string): number {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Math.round(Number(t) * 1000);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let ms = 0;
  let m: RegExpExecArray | null;
  let consumed = 0;
  // biome-ignore lint/suspicious/noAssignInExpressions: a regex scan loop
  while ((m = re.exec(t))) {
    consumed = re.lastIndex;
    const n = Number(m[1]);
    ms += m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : m[2] === 'm' ? n * 60_000 : n * 3_600_000;
  }
  if (!t || consumed !== t.length) {
    throw new ValidationError([
      { path: flag, message: `expected a duration such as 90s, 10m or 1h30m, got ${JSON.stringify(text)}` },
    ]);
  }
  return Math.round(ms);
}
