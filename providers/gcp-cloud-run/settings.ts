import { z } from 'zod';
import { hostPort, intRange } from '../../src/spec/schema-helpers.js';
import { targetBase } from '../../src/spec/target-base.js';

/**
 * A Google Cloud Run (Admin API v2) project + region. Cloud Run is regional: the target has one
 * failure domain, whose zone is the region. Credentials are Application Default Credentials unless
 * the provider is given an auth client (see CloudRunProviderOptions).
 */
export const gcpCloudRunTargetSettings = z.strictObject({
  ...targetBase,
  kind: z.literal('gcp-cloud-run'),
  /** Project id (or number): lowercase letters, digits and hyphens. */
  project: z.string().regex(/^([a-z][a-z0-9-]{4,28}[a-z0-9]|\d{1,20})$/, {
    error: 'expected a project id such as "my-project-123" or a project number',
  }),
  /** Region, e.g. `us-central1`; also the target's only zone. */
  region: z.string().regex(/^[a-z]+(-[a-z]+)+\d+$/, { error: 'expected a region such as "us-central1"' }),
  /** Who may reach the services: `all` (public), `internal`, `internal-and-cloud-load-balancing`, `none`. */
  ingress: z.enum(['all', 'internal', 'internal-and-cloud-load-balancing', 'none']).default('all'),
  /**
   * Anyone who can reach a service may invoke it: the service's invoker IAM check is turned off
   * (`invokerIamDisabled`, https://cloud.google.com/run/docs/securing/managing-access#invoker_check),
   * and the target reports public endpoints. `false` keeps the check: callers need
   * `roles/run.invoker`, and skyfleet's load balancers send an identity token with every request
   * (`X-Serverless-Authorization`, which Cloud Run checks and removes, leaving `Authorization` to
   * the app), minted from the target's credentials or given as `identityToken`.
   */
  allowUnauthenticated: z.boolean().default(true),
  /** Service account email the revisions run as (their identity); the project default when absent. */
  serviceAccount: z
    .string()
    .regex(/^[^@\s]+@[^@\s]+$/, { error: 'expected a service account email' })
    .optional(),
  /** Serverless VPC Access connector: `projects/P/locations/R/connectors/C` or a bare connector name. */
  vpcConnector: z.string().min(1).optional(),
  vpcEgress: z.enum(['private-ranges-only', 'all-traffic']).default('private-ranges-only'),
  /** Upper bound on instances of each service (Cloud Run's own default is 100). */
  maxInstanceCount: intRange(1, 1000).optional(),
  /** `rest` (HTTP/1.1 JSON, `fallback: true`, the default) or `grpc` (HTTP/2). */
  transport: z.enum(['rest', 'grpc']).default('rest'),
  /**
   * Endpoint override, for tests, private endpoints or `skyfleet emulate`: a host name
   * (`run.googleapis.com` when absent; HTTPS on `port`), or a URL `http(s)://host:port`.
   */
  apiEndpoint: z
    .string()
    .regex(/^(https?:\/\/)?[A-Za-z0-9.-]+(:\d{1,5})?\/?$/, {
      error: 'expected a host name such as "run.googleapis.com" or a URL such as "http://127.0.0.1:4566"',
    })
    .optional(),
  /**
   * A bearer token sent as is instead of Application Default Credentials: for `skyfleet emulate`
   * (whose stand-in takes only its own token) or a token fetched for one short job. It is a
   * credential: never logged, printed or recorded in the store.
   */
  accessToken: z.string().min(1).optional(),
  /**
   * An identity (OIDC ID) token sent as is to services that keep their invoker check
   * (`allowUnauthenticated: false`), instead of one minted from Application Default Credentials
   * (a service account key, the metadata server): for `skyfleet emulate` or a short job. A
   * credential: never logged, printed or recorded in the store.
   */
  identityToken: z.string().min(1).optional(),
  port: intRange(1, 65535).optional(),
  /** Secret Manager's endpoint (`secretmanager.googleapis.com` when absent), as `apiEndpoint`. */
  secretManagerEndpoint: z
    .string()
    .regex(/^(https?:\/\/)?[A-Za-z0-9.-]+(:\d{1,5})?\/?$/, {
      error: 'expected a host name such as "secretmanager.googleapis.com" or a URL such as "http://127.0.0.1:4566"',
    })
    .optional(),
  /**
   * Read which Secret Manager version `latest` stands for (secretmanager.versions.get, metadata
   * only) at every apply, so a new version is a new revision that replaces every instance.
   * `false`: a new version reaches only instances started later (pin a version number to roll it).
   */
  trackSecretVersions: z.boolean().default(true),
  /**
   * Where the replicas' traffic connects, as `host:port`, instead of the service's own
   * `*.run.app` host on 443: a Private Service Connect endpoint, an egress proxy, or a local
   * stand-in. TLS still names the service (SNI, certificate, Host).
   */
  dataPlaneAddress: hostPort.optional(),
  /** Interval between polls of a long-running operation. */
  pollIntervalMs: intRange(0, 60_000).default(1000),
  /** Longest an apply/remove waits for its operation before it reports a retryable timeout. */
  operationTimeoutMs: intRange(1, 3_600_000).default(600_000),
});
export type GcpCloudRunTargetSettings = z.output<typeof gcpCloudRunTargetSettings>;
export type GcpCloudRunTargetSettingsInput = z.input<typeof gcpCloudRunTargetSettings>;
