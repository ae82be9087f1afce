/**
 * Retry-After (RFC 9110 section 10.2.3): `delay-seconds` (a non-negative integer; a decimal is
 * accepted as well) or an HTTP-date (IMF-fixdate, or the obsolete RFC 850 and asctime forms, all
 * in GMT). Returns milliseconds to wait from `now` (epoch ms): a date in the past is 0; anything
 * else (empty, negative, garbage) is undefined, so the caller falls back to its own backoff.
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  const v = value?.trim();
  if (!v) return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = parseHttpDate(v, now);
  return at === undefined ? undefined : Math.max(0, at - now);
}

/**
 * The wait a response asks for, from its headers: the millisecond headers some clouds send
 * (`retry-after-ms`, `x-ms-retry-after-ms`) first, then `Retry-After`. `get` reads one header by
 * its lower-case name.
 */
export function retryAfterFromHeaders(
  get: (name: string) => string | null | undefined,
  now: number,
): number | undefined {
  for (const h of ['retry-after-ms', 'x-ms-retry-after-ms']) {
    const v = get(h)?.trim();
    if (v && /^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v));
  }
  return parseRetryAfter(get('retry-after'), now);
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAY = '(?:mon|tue|wed|thu|fri|sat|sun)';
const LONG_DAY = '(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)';
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';
/** `Sun, 06 Nov 1994 08:49:37 GMT` */
const IMF_FIXDATE = new RegExp(`^${DAY}, (\\d{2}) ([a-z]{3}) (\\d{4}) ${TIME} gmt$`, 'i');
/** `Sunday, 06-Nov-94 08:49:37 GMT` */
const RFC_850 = new RegExp(`^${LONG_DAY}, (\\d{2})-([a-z]{3})-(\\d{2}) ${TIME} gmt$`, 'i');
/** `Sun Nov  6 08:49:37 1994` */
const ASCTIME = new RegExp(`^${DAY} ([a-z]{3}) ( \\d|\\d{2}) ${TIME} (\\d{4})$`, 'i');

/**
 * An HTTP-date (RFC 9110 section 5.6.7) as epoch ms, or undefined when it is not one. `now` places
 * the two-digit years of the RFC 850 form: one more than 50 years ahead is in the past century.
 */
export function parseHttpDate(text: string, now = Date.now()): number | undefined {
  const parts = dateParts(text.trim(), new Date(now).getUTCFullYear());
  if (!parts) return undefined;
  const { day, month, year, time } = parts;
  const mon = MONTHS.indexOf(month.toLowerCase());
  const [h, min, s] = time.map(Number) as [number, number, number];
  if (mon < 0 || day < 1 || day > 31 || h > 23 || min > 59 || s > 60) return undefined;
  const at = Date.UTC(year, mon, day, h, min, s);
  // 31 Feb and kin roll over into the next month: not a date
  return new Date(at).getUTCDate() === day ? at : undefined;
}

interface DateParts {
  day: number;
  month: string;
  year: number;
  time: [string, string, string];
}

function dateParts(text: string, thisYear: number): DateParts | undefined {
  const imf = IMF_FIXDATE.exec(text);
  if (imf) return { day: Number(imf[1]), month: imf[2]!, year: Number(imf[3]), time: [imf[4]!, imf[5]!, imf[6]!] };
  const rfc850 = RFC_850.exec(text);
  if (rfc850) {
    const year = 2000 + Number(rfc850[3]);
    return {
      day: Number(rfc850[1]),
      month: rfc850[2]!,
      year: year > thisYear + 50 ? year - 100 : year,
      time: [rfc850[4]!, rfc850[5]!, rfc850[6]!],
    };
  }
  const asc = ASCTIME.exec(text);
  if (asc)
    return { day: Number(asc[2]!.trim()), month: asc[1]!, year: Number(asc[6]), time: [asc[3]!, asc[4]!, asc[5]!] };
  return undefined;
}
