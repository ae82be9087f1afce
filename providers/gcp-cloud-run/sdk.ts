/**
 * Lazy loading of @google-cloud/run (slow to import: only when a Cloud Run target is used) and
 * the one ServicesClient of a provider.
 */
import type { ServicesClient } from '@google-cloud/run';
import { loggingAuth } from './calllog.js';
import type { ServiceType } from './service-view.js';
import type { GcpCloudRunTargetSettings } from './settings.js';

export interface Sdk {
  client: ServicesClient;
  /** The Service message type, to decode what the REST transport returns (service-view.ts). */
  Service: ServiceType;
}

export interface SdkOptions {
  /** An auth client; Application Default Credentials (cloud-platform scope) when absent. */
  authClient?: object | undefined;
  /** Whether calls are recorded: the REST transport's auth `fetch` is then wrapped (calllog.ts). */
  recordCalls: boolean;
}

/** Imports the SDK and builds the client: REST (`fallback`) or gRPC as the settings say. */
export async function loadSdk(settings: GcpCloudRunTargetSettings, options: SdkOptions): Promise<Sdk> {
  const run = await import('@google-cloud/run');
  const client = new run.ServicesClient({
    fallback: settings.transport === 'rest',
    authClient: (await authFor(settings, options)) as never,
    projectId: settings.project,
    ...endpointOptions(settings),
  });
  return { client, Service: run.protos.google.cloud.run.v2.Service as unknown as ServiceType };
}

/**
 * The auth client of the target's Google clients: the one given, a fixed `accessToken`, or
 * Application Default Credentials (cloud-platform scope); wrapped to record calls on REST.
 */
export async function authFor(settings: GcpCloudRunTargetSettings, options: SdkOptions): Promise<object> {
  let auth = options.authClient;
  if (!auth && settings.accessToken) {
    const { OAuth2Client } = await import('google-auth-library');
    const client = new OAuth2Client();
    client.setCredentials({ access_token: settings.accessToken, expiry_date: Date.now() + 10 * 365 * 86_400_000 });
    auth = client;
  }
  if (!auth) {
    const { GoogleAuth } = await import('google-auth-library');
    auth = new GoogleAuth({ scopes: ['https://www.googleapis.com/auth/cloud-platform'] });
  }
  return settings.transport === 'rest' && options.recordCalls ? loggingAuth(auth) : auth;
}

/** `apiEndpoint` as the client takes it: a host (and `port`), or a URL's protocol, host and port. */
export function endpointOptions(settings: Pick<GcpCloudRunTargetSettings, 'apiEndpoint' | 'port'>): {
  apiEndpoint?: string;
  port?: number;
  protocol?: string;
} {
  const e = settings.apiEndpoint;
  if (e && /^https?:\/\//.test(e)) {
    const url = new URL(e);
    const port = url.port ? Number(url.port) : url.protocol === 'http:' ? 80 : 443;
    return { apiEndpoint: url.hostname, port, protocol: url.protocol.slice(0, -1) };
  }
  return { ...(e ? { apiEndpoint: e } : {}), ...(settings.port ? { port: settings.port } : {}) };
}
