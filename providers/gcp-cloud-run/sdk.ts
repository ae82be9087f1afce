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
    ...(settings.apiEndpoint ? { apiEndpoint: settings.apiEndpoint } : {}),
    ...(settings.port ? { port: settings.port } : {}),
  });
  return { client, Service: run.protos.google.cloud.run.v2.Service as unknown as ServiceType };
}
