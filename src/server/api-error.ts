import { SkyfleetError, ValidationError } from '../errors/index.js';
import type { ErrorCode } from '../errors/error-code.js';

export interface ErrorField {
  path: string;
  message: string;
}

/** The JSON error body of every failed request. */
export interface ErrorBody {
  error: { code: string; message: string; fields: ErrorField[]; retryable?: boolean; source?: string };
}

/** An HTTP error the API raises itself (auth, content type, size, routing). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: ErrorField[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const STATUS: Partial<Record<ErrorCode, number>> = {
  invalid_input: 400,
  unknown_target: 400,
  unknown_revision: 400,
  no_fleet: 400,
  not_found: 404,
  conflict: 409,
  controller_required: 409,
  no_rollout: 409,
  store_conflict: 409,
  placement_unschedulable: 422,
  placement_unresolvable: 422,
  rollout_aborted: 409,
  aborted: 499,
  not_converged: 504,
  delete_incomplete: 504,
  store_unavailable: 503,
  provider_retryable: 502,
  provider_terminal: 502,
  sync_failed: 502,
};

/** Maps any error to its HTTP status and body; skyfleet's own codes and messages go through as they are. */
export function errorResponse(e: unknown): { status: number; body: ErrorBody; headers: Record<string, string> } {
  if (e instanceof ApiError) {
    return {
      status: e.status,
      body: { error: { code: e.code, message: e.message, fields: e.fields } },
      headers: e.headers,
    };
  }
  if (e instanceof ValidationError) {
    return {
      status: 400,
      body: {
        error: {
          code: e.code,
          message: e.message,
          fields: e.issues.map((i) => ({ path: i.path, message: i.message })),
          ...(e.source ? { source: e.source } : {}),
        },
      },
      headers: {},
    };
  }
  if (e instanceof SkyfleetError) {
    return {
      status: STATUS[e.code] ?? 500,
      body: { error: { code: e.code, message: e.message, fields: [], retryable: e.retryable } },
      headers: {},
    };
  }
  return {
    status: 500,
    body: { error: { code: 'internal', message: `internal error: ${(e as Error)?.message ?? String(e)}`, fields: [] } },
    headers: {},
  };
}
