export const REDACTED = '<redacted>';

const SECRET_HEADERS =
  /^(authorization|proxy-authorization|cookie|set-cookie|x-amz-security-token|x-amz-session-token|x-goog-iam-authorization-token|x-ms-authorization-auxiliary|ocp-apim-subscription-key|x-api-key)$|token|secret|credential|password/i;

/** Header names that can carry credentials get their values replaced with `<redacted>`. */
export function redactHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) out[k.toLowerCase()] = SECRET_HEADERS.test(k) ? REDACTED : String(v);
  return out;
}

const SECRET_KEYS =
  /^(secureValue|password|secret|secretValue|accessToken|access_token|clientSecret|client_secret|refreshToken|refresh_token|privateKey|private_key|sessionToken|secretAccessKey)$/i;

/**
 * Replaces secret values in a JSON body: fields named like secrets (ACI `secureValue`, passwords)
 * and any string equal to, or containing, one of the given secret values.
 */
export function redactBody(body: unknown, secrets: readonly string[] = []): unknown {
  const live = secrets.filter((s) => s.length >= 4);
  const walk = (v: unknown, key?: string): unknown => {
    if (key && SECRET_KEYS.test(key) && v !== null && v !== undefined) return REDACTED;
    if (typeof v === 'string') return live.some((s) => v.includes(s)) ? REDACTED : v;
    if (Array.isArray(v)) return v.map((x) => walk(x));
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = walk(x, k);
      return out;
    }
    return v;
  };
  return walk(body);
}
