/**
 * The Cloud Run Admin API calls the provider makes, on ServiceViews: get, list, create, update,
 * delete. Each is one SDK call with the bounded retry (retry.ts); writes wait for their operation
 * (operations.ts). The SDK is loaded on the first call (sdk.ts).
 */
import { ProviderError } from '../../src/errors/index.js';
import { MANAGED_BY } from '../../src/provider/labels.js';
import type { Clock } from '../../src/util/clock.js';
import { isAlreadyExists } from './errors.js';
import { GCP_LABELS, parentOf } from './names.js';
import { awaitOperation, type LroKind, type LroLike } from './operations.js';
import { type RetryPolicy, withRetry } from './retry.js';
import type { Sdk } from './sdk.js';
import { normaliseService, type ServiceView } from './service-view.js';
import type { GcpCloudRunTargetSettings } from './settings.js';

export interface CloudRunApiOptions {
  clock: Clock;
  pollIntervalMs: number;
  retry: RetryPolicy;
  /** Loads the SDK; called once, on the first call. */
  load: () => Promise<Sdk>;
}

export class CloudRunApi {
  private sdkPromise: Promise<Sdk> | undefined;

  constructor(
    private readonly settings: GcpCloudRunTargetSettings,
    private readonly target: string,
    private readonly options: CloudRunApiOptions,
  ) {}

  /** The service of this full name, or undefined when it does not exist. */
  async get(name: string, operation: string, signal?: AbortSignal): Promise<ServiceView | undefined> {
    const { client, Service } = await this.sdk();
    try {
      const raw = await this.call(
        `${operation}: getService`,
        () => client.getService({ name }).then((r) => r[0]),
        signal,
      );
      return raw ? normaliseService(raw, Service) : undefined;
    } catch (err) {
      if (err instanceof ProviderError && (err.status === 404 || err.providerCode === 'NOT_FOUND')) return undefined;
      throw err;
    }
  }

  /** Every service of the region that skyfleet manages for this target, page by page. */
  async list(signal?: AbortSignal): Promise<ServiceView[]> {
    const { client, Service } = await this.sdk();
    const out: ServiceView[] = [];
    let pageToken = '';
    for (let page = 0; page < 1000; page++) {
      const [services, , response] = await this.call(
        'observe: listServices',
        () =>
          client.listServices(
            { parent: parentOf(this.settings.project, this.settings.region), pageSize: 100, pageToken },
            { autoPaginate: false },
          ),
        signal,
      );
      for (const s of services ?? []) {
        const labels = (s.labels ?? {}) as Record<string, string>;
        if (labels[GCP_LABELS.managedBy] === MANAGED_BY && labels[GCP_LABELS.target] === this.target)
          out.push(normaliseService(s, Service));
      }
      pageToken = response?.nextPageToken ?? '';
      if (!pageToken) break;
    }
    return out;
  }

  /** True when created; false when it already exists (409 ALREADY_EXISTS, e.g. a retried create). */
  async create(id: string, service: Record<string, unknown>, signal?: AbortSignal): Promise<boolean> {
    const { client } = await this.sdk();
    const parent = parentOf(this.settings.project, this.settings.region);
    try {
      const op = await this.call(
        'createService',
        () => client.createService({ parent, serviceId: id, service }).then((r) => r[0] as LroLike),
        signal,
      );
      await this.awaitOperation('create', op, signal);
      return true;
    } catch (err) {
      if (err instanceof ProviderError && isAlreadyExists(err)) return false;
      throw err;
    }
  }

  /** Writes `fields` (an update mask of their names) under the view's etag, and waits for it. */
  async update(view: ServiceView, fields: Record<string, unknown>, signal?: AbortSignal): Promise<void> {
    const { client } = await this.sdk();
    const paths = Object.keys(fields).sort();
    // the etag makes a concurrent writer's change a retryable ABORTED, not a lost update
    const service = { name: view.name, ...(view.etag ? { etag: view.etag } : {}), ...fields };
    const op = await this.call(
      'updateService',
      () => client.updateService({ service, updateMask: { paths } }).then((r) => r[0] as LroLike),
      signal,
    );
    await this.awaitOperation('update', op, signal);
  }

  /** True when this call deleted it; false when it was already gone. */
  async delete(view: ServiceView, signal?: AbortSignal): Promise<boolean> {
    const { client } = await this.sdk();
    let op: LroLike;
    try {
      op = await this.call(
        'deleteService',
        () => client.deleteService({ name: view.name }).then((r) => r[0] as LroLike),
        signal,
      );
    } catch (err) {
      if (err instanceof ProviderError && (err.status === 404 || err.providerCode === 'NOT_FOUND')) return false;
      throw err;
    }
    await this.awaitOperation('delete', op, signal);
    return true;
  }

  async close(): Promise<void> {
    if (!this.sdkPromise) return;
    const { client } = await this.sdkPromise;
    await client.close();
    this.sdkPromise = undefined;
  }

  private sdk(): Promise<Sdk> {
    this.sdkPromise ??= this.options.load();
    return this.sdkPromise;
  }

  private call<T>(operation: string, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const { clock, retry: policy } = this.options;
    return withRetry(fn, { target: this.target, operation, policy, clock, signal });
  }

  private async awaitOperation(kind: LroKind, first: LroLike, signal?: AbortSignal): Promise<unknown> {
    const { client } = await this.sdk();
    return awaitOperation(client, kind, first, {
      target: this.target,
      clock: this.options.clock,
      pollIntervalMs: this.options.pollIntervalMs,
      timeoutMs: this.settings.operationTimeoutMs,
      retry: this.options.retry,
      signal,
    });
  }
}
