import type { Context } from 'hono';
import type { z } from 'zod';
import type { Fleet } from '../fleet.js';
import type { Logger } from '../log/logger.js';
import type { ApiStore, TokenRecord } from '../store/api-store.js';
import type { SyncTrigger } from '../sync/sync-loop.js';
import type { RevisionStats } from '../traffic/types.js';
import type { Clock } from '../util/clock.js';
import type { Permission } from './roles.js';
import type { FeedHub } from './watch.js';

/** Hono's per-request variables of the API. */
export type ApiEnv = {
  Variables: {
    token: TokenRecord;
    revision: string | undefined;
    /** Who made a request authenticated otherwise than by a token (a git source's webhook), for the audit. */
    actor: string | undefined;
    /** Set when the request came with a dashboard session cookie. */
    csrf: string | undefined;
    sessionExpiresAt: number | undefined;
  };
};
export type ApiContext = Context<ApiEnv>;

/** One endpoint: how it is routed and authorised, and what it takes and answers (for the OpenAPI document). */
export interface Endpoint {
  method: 'get' | 'post' | 'put' | 'delete';
  /** Hono style: `/api/v1/deployments/:name`. */
  path: string;
  permission: Permission;
  summary: string;
  /** Changes something: audited. */
  mutating: boolean;
  /** A JSON body (zod), or the deployment documents (YAML or JSON). */
  body?: z.ZodType | 'documents';
  query?: Record<string, string>;
  /** 200's body: a zod schema, plain text, or an event stream (with `?watch=1`). */
  response: z.ZodType;
  text?: boolean;
  /** Answers an SSE stream when `?watch=1`. */
  watch?: boolean;
}

/** Where the API reads a deployment's traffic outcomes: the controller's listeners (its TrafficManager). */
export interface TrafficSource {
  allStats(name: string, windowMs: number): RevisionStats[];
  has(name: string): boolean;
}

export interface ApiDeps {
  fleet: Fleet;
  store: ApiStore;
  clock: Clock;
  logger: Logger;
  hub: FeedHub;
  maxBodyBytes: number;
  /** Syncs a git source at once (the server's sync loop, else a pass in the request). */
  sync: SyncTrigger;
  traffic?: TrafficSource;
}

export type Define = (endpoint: Endpoint, handler: (c: ApiContext) => Promise<Response>) => void;
