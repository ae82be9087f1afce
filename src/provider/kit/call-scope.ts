import { AsyncLocalStorage } from 'node:async_hooks';
import type { CallLog } from '../../calllog/index.js';

/**
 * What a provider is doing while its SDK sends requests: set around each provider call (observe,
 * apply, remove...) and read by the hook a provider installs in its SDK's pipeline (AWS middleware,
 * Azure pipeline policy, the Cloud Run client's `fetch`), which cannot be handed arguments.
 */
export interface CallScope {
  /** The deployment the call is for; null for a fleet-wide observe. */
  deployment: string | null;
  /** Why the call is made: the plan action (`create`, `scale`...) or `observe`. */
  reason: string;
  /**
   * The call's secret values (resolved env secrets, registry passwords): never logged. Mutable, so
   * a provider may add values it resolves during the call, before the requests that carry them.
   */
  secrets: string[];
  /**
   * Records this call's HTTP attempts. In the scope rather than in the hook, because one SDK client
   * may serve several providers (ECS and ACI accept a ready client): each call records to its own
   * provider's log, under its own target.
   */
  recorder?: AttemptRecorder;
  /** The last request id the cloud answered within this call (for errors that carry no response). */
  lastRequestId?: string;
}

const storage = new AsyncLocalStorage<CallScope>();

/** Runs `fn` with `scope` as the current call scope (the object itself: hooks may write to it). */
export function runInCallScope<T>(scope: CallScope, fn: () => T): T {
  return storage.run(scope, fn);
}

/** The scope of the provider call this code runs in, if any. */
export function currentCallScope(): CallScope | undefined {
  return storage.getStore();
}

/** One HTTP attempt as an SDK hook sees it. */
export interface HttpAttempt {
  method: string;
  url: string;
  /** A `Headers`, an object with `toJSON()` (Azure's HttpHeaders), or a plain record. */
  headers?: unknown;
  /** A string or bytes (JSON or not); anything else is logged as null. */
  body?: unknown;
}

/** What an SDK hook records an attempt with (the kit's `CallRecorder`). */
export interface AttemptRecorder {
  /** Where entries go; nothing is recorded without one. */
  readonly log: CallLog | undefined;
  /** The same recorder writing to another log (tests tee it with `$SKYFLEET_CALL_LOG`). */
  withLog(log: CallLog | undefined): AttemptRecorder;
  /** Starts one attempt; the function returned records it with the status answered (null: none). */
  begin(attempt: HttpAttempt): (status: number | null) => void;
}
