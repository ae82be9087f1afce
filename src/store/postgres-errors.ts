import { SkyfleetError } from '../errors/index.js';
import { isNetworkErrorCode } from '../provider/kit/network-errors.js';

/**
 * A pg error of the store at `url` (password redacted) as a SkyfleetError: connection trouble is
 * retryable; `redact` takes any password out of the text.
 */
export function storeError(e: unknown, url: string, redact: (text: string) => string): SkyfleetError {
  if (e instanceof SkyfleetError) return e;
  const err = e as { code?: unknown; message?: unknown; errors?: unknown };
  const code = typeof err?.code === 'string' ? err.code : '';
  const raw = errorText(e);
  const message = redact(raw);
  // Not pg's error itself: some carry their client, whose connection parameters hold the password.
  const cause = Object.assign(new Error(message), {
    name: e instanceof Error ? e.name : 'Error',
    ...(code ? { code } : {}),
  });
  if (isConnectionFailure(code, raw)) {
    return new SkyfleetError('store_unavailable', `cannot reach the PostgreSQL state store at ${url}: ${message}`, {
      retryable: true,
      cause,
    });
  }
  if (code === '28P01' || code === '28000' || code === '3D000' || code === '42501') {
    // Bad password, no such role or database, no permission: repeating will not help.
    return new SkyfleetError('store_unavailable', `cannot use the PostgreSQL state store at ${url}: ${message}`, {
      cause,
    });
  }
  if (code === '40001' || code === '40P01') {
    return new SkyfleetError('store_conflict', `the PostgreSQL state store at ${url}: ${message}`, {
      retryable: true,
      cause,
    });
  }
  return new SkyfleetError(
    'store_error',
    `the PostgreSQL state store at ${url}: ${message}${code ? ` (${code})` : ''}`,
    { cause },
  );
}

/** Removes the password of `connectionString` (and of any URL) from a text. */
export function redactor(connectionString: string): (text: string) => string {
  const secrets = new Set<string>();
  const m = /^[a-z][a-z0-9+.-]*:\/\/[^:/?#@]*:([^@/?#]*)@/i.exec(connectionString);
  if (m?.[1]) {
    secrets.add(m[1]);
    try {
      secrets.add(decodeURIComponent(m[1]));
    } catch {}
  }
  const pw = /[?&]password=([^&#]*)/i.exec(connectionString)?.[1];
  if (pw) {
    secrets.add(pw);
    try {
      secrets.add(decodeURIComponent(pw));
    } catch {}
  }
  const inUrl = (text: string) =>
    text
      .replace(/([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*:)[^@\s]*@/gi, '$1***@')
      .replace(/([?&]password=)[^&#\s]*/gi, '$1***');
  // The password's own text anywhere else too, unless it is also the user or database name (a
  // test setup's `skyfleet:skyfleet`): then it is no secret, and hiding it would garble messages.
  const visible = inUrl(connectionString);
  const sorted = [...secrets].filter((s) => s && !visible.includes(s)).sort((a, b) => b.length - a.length);
  return (text) => {
    let out = inUrl(text);
    for (const s of sorted) out = out.split(s).join('***');
    return out;
  };
}

function errorText(e: unknown): string {
  if (e instanceof AggregateError && e.errors.length > 0) {
    return [...new Set(e.errors.map((x) => errorText(x)))].join('; ');
  }
  if (e instanceof Error) return e.message || String((e as { code?: unknown }).code ?? e.name);
  return String(e);
}

function isConnectionFailure(code: string, message: string): boolean {
  // socket errors (the provider kit's set); ENOENT is a Unix socket path that is not there (the server is not running)
  if (isNetworkErrorCode(code, { unixSocket: true })) return true;
  // SQLSTATE class 08 (connection exception); server shutting down or starting; too many clients.
  if (/^08/.test(code) || code === '57P01' || code === '57P02' || code === '57P03' || code === '53300') return true;
  return /connection terminated|timeout exceeded when trying to connect|connection timeout|ECONNREFUSED|Connection refused|the database system is (starting up|shutting down)/i.test(
    message,
  );
}
