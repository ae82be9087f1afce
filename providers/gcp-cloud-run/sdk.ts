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
  const rest = settings.transport === 'rest';
  if (rest && options.recordCalls) auth = loggingAuth(auth);
  const client = new run.ServicesClient({
    fallback: rest,
    authClient: auth as never,
    projectId: settings.project,
    ...endpointOptions(settings),
  });
  return { client, Service: run.protos.google.cloud.run.v2.Service as unknown as ServiceType };
}

/** `apiEndpoint` as the client takes it: a host (and `port`), or a URL's protocol, host and port. */
export function endpointOptions(settings: GcpCloudRunTargetSettings): {
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
