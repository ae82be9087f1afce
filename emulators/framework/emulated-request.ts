/** One HTTP request, as an emulator's handler sees it. */
export interface EmulatedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: URLSearchParams;
  /** Lower-case header names. */
  headers: Record<string, string>;
  /** Parsed JSON when the body is JSON, the raw text otherwise, null when empty. */
  body: unknown;
}

/** An emulator's answer. */
export interface EmulatedResponse {
  status: number;
  /** Serialised as JSON unless it is a string. */
  body?: unknown;
  headers?: Record<string, string>;
}

/** An emulator's request handler (the same for nock in tests and the `skyfleet emulate` listener). */
export type EmulatorHandler = (
  method: string,
  path: string,
  query: URLSearchParams,
  headers: Record<string, string>,
  body: unknown,
) => EmulatedResponse | Promise<EmulatedResponse>;

/** Parses a request body as the clouds' SDKs send it: JSON for any `*json*` content type. */
export function parseBody(body: unknown, contentType: string | undefined): unknown {
  if (body === undefined || body === null || (typeof body === 'string' && body.length === 0)) return null;
  if (typeof body === 'string' && /json/i.test(contentType ?? '')) {
    try {
      return JSON.parse(body);
    } catch {
      return body;
    }
  }
  return body;
}
