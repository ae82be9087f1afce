/**
 * The Secret Manager version a Cloud Run instance starting now would read for each
 * `secretKeyRef {name: secret, key: version}`: a pinned version number is its own answer (it is in
 * the template already); `latest` is resolved with secretmanager.versions.get on
 * `projects/P/secrets/S/versions/latest` (metadata, never the payload: the caller needs
 * `secretmanager.versions.get`, e.g. roles/secretmanager.viewer, not secretAccessor), whose answer
 * names the version it stands for. The client (`@google-cloud/secret-manager`, an optional
 * dependency installed by default) is loaded on first use, over REST with the target's auth, so
 * its calls are recorded like Cloud Run's.
 */
import { createRequire } from 'node:module';
import { ProviderError } from '../../src/errors/index.js';
import type { SecretReference } from '../../src/provider/provider.js';
import type { Clock } from '../../src/util/clock.js';
import { type RetryPolicy, withRetry } from './retry.js';
import { authFor, endpointOptions, type SdkOptions } from './sdk.js';
import type { GcpCloudRunTargetSettings } from './settings.js';

/** The part of Secret Manager's client used here. */
export interface SecretManagerClient {
  getSecretVersion(request: { name: string }): Promise<[{ name?: string | null }, ...unknown[]]>;
  close(): Promise<void>;
}

export const SECRET_MANAGER_PACKAGE = '@google-cloud/secret-manager';

/** Builds the client: REST, the target's auth, `secretManagerEndpoint` when set. */
export async function loadSecretManager(
  settings: GcpCloudRunTargetSettings,
  options: SdkOptions,
): Promise<SecretManagerClient> {
  try {
    createRequire(import.meta.url).resolve(SECRET_MANAGER_PACKAGE);
  } catch {
    throw new Error(
      `${SECRET_MANAGER_PACKAGE} is not installed: install it (an optional dependency of skyfleet) or set the target's trackSecretVersions: false`,
    );
  }
  const sm = await import('@google-cloud/secret-manager');
  const rest = { ...settings, transport: 'rest' as const };
  return new sm.SecretManagerServiceClient({
    fallback: true,
    authClient: (await authFor(rest, options)) as never,
    projectId: settings.project,
    ...endpointOptions({ apiEndpoint: settings.secretManagerEndpoint }),
  }) as unknown as SecretManagerClient;
}

/** `projects/P/secrets/S` of a reference's `name` (a bare secret is in the target's project). */
export function secretResource(project: string, name: string): string {
  return name.startsWith('projects/') ? name : `projects/${project}/secrets/${name}`;
}

export class CloudRunSecretVersions {
  private client: Promise<SecretManagerClient> | undefined;

  constructor(
    private readonly settings: GcpCloudRunTargetSettings,
    private readonly options: { clock: Clock; retry: RetryPolicy; load: () => Promise<SecretManagerClient> },
  ) {}

  async versions(refs: readonly SecretReference[], signal?: AbortSignal): Promise<Array<string | undefined>> {
    if (!this.settings.trackSecretVersions) return refs.map(() => undefined);
    const latest = new Map<string, Promise<string>>();
    const out: Array<string | undefined> = [];
    for (const r of refs) {
      if (r.key !== 'latest') {
        out.push(undefined); // pinned: the template names it
        continue;
      }
      const resource = secretResource(this.settings.project, r.name);
      if (!latest.has(resource)) latest.set(resource, this.latest(resource, signal));
      out.push(await latest.get(resource)!);
    }
    return out;
  }

  async close(): Promise<void> {
    await (await this.client?.catch(() => undefined))?.close();
  }

  private async latest(resource: string, signal?: AbortSignal): Promise<string> {
    const target = this.settings.name;
    this.client ??= this.options.load().catch((e: unknown) => {
      this.client = undefined;
      throw new ProviderError((e as Error).message, {
        provider: 'gcp-cloud-run',
        target,
        retryable: false,
        providerCode: 'ClientNotInstalled',
      });
    });
    const client = await this.client;
    const name = `${resource}/versions/latest`;
    try {
      const [version] = await withRetry(() => client.getSecretVersion({ name }), {
        target,
        operation: 'secretVersions: getSecretVersion',
        policy: this.options.retry,
        clock: this.options.clock,
        signal,
      });
      const id = version.name?.slice(version.name.lastIndexOf('/') + 1);
      if (!id)
        throw new ProviderError(`Secret Manager named no version for ${name}`, {
          provider: 'gcp-cloud-run',
          target,
          retryable: false,
          operation: 'secretVersions: getSecretVersion',
        });
      return id;
    } catch (e) {
      if (!(e instanceof ProviderError)) throw e;
      const denied = e.status === 403 || e.providerCode === 'PERMISSION_DENIED';
      throw e.restated(
        `the latest version of ${resource}: ${e.providerMessage}${
          denied
            ? ` (skyfleet reads which version is latest, so that a new version rolls out: grant secretmanager.versions.get on it (roles/secretmanager.viewer) to skyfleet's credentials, pin a version number in the key, or set the target's trackSecretVersions: false)`
            : ''
        }`,
      );
    }
  }
}
