import type { ContainerGroup, ContainerInstanceManagementClient } from '@azure/arm-containerinstance';
import type { TokenCredential } from '@azure/core-auth';
import type { CallLog } from '../../src/calllog/index.js';
import { ProviderError, ValidationError } from '../../src/errors/index.js';
import { CallRecorder } from '../../src/provider/kit/call-recorder.js';
import { type CallScope, currentCallScope, runInCallScope } from '../../src/provider/kit/call-scope.js';
import { assertSliceFleet } from '../../src/provider/kit/ownership.js';
import { targetDescription } from '../../src/provider/kit/target-description.js';
import type {
  ApplyResult,
  CallOptions,
  DesiredSlice,
  ObservedSlice,
  Provider,
  SliceKey,
  SliceSelector,
  TargetDescription,
} from '../../src/provider/provider.js';
import type { ProviderContext } from '../../src/provider/provider.js';
import { secretEnvName } from '../../src/spec/secret-env-name.js';
import { type Clock, systemClock } from '../../src/util/clock.js';
import { parseHostPort } from '../../src/spec/schema-helpers.js';
import { mapPool } from '../../src/util/pool.js';
import { installCallLog } from './calllog.js';
import { classify, isNotFound, KIND } from './errors.js';
import {
  checkSlice,
  type DesiredGroup,
  desiredGroups,
  differs,
  domainsOf,
  replacementReason,
  secretValuesOf,
} from './mapping.js';
import { TAGS } from './names.js';
import { isOurs, keyOf, toObservedSlices } from './observe.js';
import type { AzureAciTargetSettings, SecretSource } from './settings.js';

export interface AzureAciProviderOptions {
  /** A ready client (tests: one pointed at the emulator). Its pipeline gets the call-log policy. */
  client?: ContainerInstanceManagementClient;
  /** Used to build the client; DefaultAzureCredential (imported lazily) when absent. */
  credential?: TokenCredential;
  /** Every HTTP attempt the SDK makes is recorded here (redacted). */
  callLog?: CallLog;
  /** Time for readiness windows (readiness-probe events); the system clock when absent. */
  clock?: Clock;
  /** The SDK's own retry policy (429 with Retry-After, 5xx, network): attempts within one call. */
  retry?: { maxRetries?: number; retryDelayInMs?: number; maxRetryDelayInMs?: number };
  /** Resolves `passwordFrom.secretKeyRef` of registry credentials. */
  resolveSecret?: (ref: { name: string; key: string }) => string | Promise<string>;
  /**
   * ARM lists lag writes (eventual consistency), reads by name do not: for this long after this
   * instance wrote a group, until a list shows the write, the group is read by name instead of taken
   * from the list. 0 turns it off. Default 5 min.
   */
  consistencyWindowMs?: number;
}

const FAILED_STATES = new Set(['failed', 'canceled']);

/** How long a write of this instance may go unseen by lists before lists are trusted again. */
const DEFAULT_CONSISTENCY_WINDOW_MS = 5 * 60_000;

type Step =
  | { kind: 'create'; d: DesiredGroup }
  | { kind: 'update'; d: DesiredGroup }
  | { kind: 'replace'; d: DesiredGroup; why: string }
  | { kind: 'delete'; name: string };

/**
 * Azure Container Instances: a slice of k replicas is k container groups, one per ordinal, named
 * deterministically and tagged with their identity. Applies are PUTs of the same names (in place
 * where ACI allows it, delete-then-create where it does not); observe is one paged list of the
 * resource group.
 */
export class AzureAciProvider implements Provider {
  readonly kind = KIND;
  readonly target: string;
  private clientPromise: Promise<ContainerInstanceManagementClient> | undefined;
  private readonly clock: Clock;
  private readonly recorder: CallRecorder;
  /**
   * Groups this instance wrote within the window: when, and the spec hash put (null: deleted, and
   * `gone` once that is known). ARM serves lists from an eventually consistent cache (Azure/AKS#1964;
   * newly created resources missing from a list for minutes: Azure/azure-rest-api-specs#28600), so
   * a list right after a write may not have a new group, may still have a deleted one, or the old
   * properties of an updated one, and may even go back and forth while the writes propagate. A GET
   * by name is current.
   */
  private readonly written = new Map<string, { at: number; spec: string | null; gone?: boolean }>();
  /** Groups read by name (with their instance view) rather than listed. */
  private readonly readByName = new WeakSet<ContainerGroup>();

  constructor(
    readonly settings: AzureAciTargetSettings,
    private readonly ctx: ProviderContext,
    private readonly options: AzureAciProviderOptions = {},
  ) {
    this.target = settings.name;
    this.clock = options.clock ?? ctx.clock ?? systemClock;
    const log = options.callLog ?? ctx.callLog;
    this.recorder = new CallRecorder({ cloud: 'azure-aci', target: this.target, log, clock: this.clock });
  }

  describe(): TargetDescription {
    const s = this.settings;
    const description = targetDescription(
      {
        target: s.name,
        kind: KIND,
        topology: { provider: 'azure', region: s.location, zones: domainsOf(s).map((d) => d.zone) },
        capabilities: {
          maxCpuMillis: Math.round(s.maxCpu * 1000),
          maxMemoryMiB: Math.round(s.maxMemoryGB * 1024),
          maxPorts: 64,
          maxContainers: 60,
          probes: s.tcpSocketProbes === 'omit' ? ['httpGet', 'exec', 'tcpSocket'] : ['httpGet', 'exec'],
          nativeTrafficSplit: false,
          scaleToZero: true,
          nativeAutoscaling: false,
          publicEndpoints: s.ipAddressType === 'Public',
          gpu: false,
          ...(s.dataPlaneAddress ? { firstPortOnly: true } : {}),
        },
      },
      s,
    );
    if (s.ipAddressType !== 'Private') return description;
    return {
      ...description,
      notes: [
        `replicas get private IPs in subnets ${(s.subnetIds ?? []).join(', ')}: the load balancer (skyfleet's router or nginx) must run inside that virtual network or reach it`,
        'ACI has no availability zones for virtual-network container groups: this target is one regional domain (zones must stay empty)',
      ],
    };
  }

  async observe(selector: SliceSelector, options: CallOptions = {}): Promise<ObservedSlice[]> {
    return this.call(
      { deployment: selector.deployment ?? null, reason: options.reason ?? 'observe', secrets: [] },
      'observe',
      async () => {
        // the list carries no instance views (ListResultContainerGroup): read each group for its state
        const listed = await this.list(selector, options.signal);
        const groups = await mapPool(listed, this.settings.concurrency, (g) =>
          this.readByName.has(g) ? Promise.resolve(g) : this.getGroup(g.name!, options.signal),
        );
        return toObservedSlices(
          groups.filter((g): g is ContainerGroup => g !== undefined),
          this.target,
          this.clock.now(),
          this.settings.dataPlaneAddress ? parseHostPort(this.settings.dataPlaneAddress) : undefined,
        );
      },
    );
  }

  validate(slice: DesiredSlice): void {
    assertSliceFleet(slice.key, this.ctx.fleet);
    checkSlice(slice, this.settings);
  }

  async apply(slice: DesiredSlice, options: CallOptions = {}): Promise<ApplyResult> {
    assertSliceFleet(slice.key, this.ctx.fleet);
    const secrets = Object.values(slice.secrets ?? {});
    const context = { deployment: slice.key.deployment, reason: options.reason ?? 'apply', secrets };
    return this.call(context, 'apply', async () => {
      const registryPasswords = await this.registryPasswords();
      // everything ACI would refuse is refused here, before any call
      const desired = desiredGroups(slice, { settings: this.settings, registryPasswords });
      // registry passwords and secure values: never in the call log
      currentCallScope()?.secrets.push(...desired.flatMap((d) => secretValuesOf(d.group)));
      const listed = (
        await this.list({ fleet: slice.key.fleet, deployment: slice.key.deployment }, options.signal)
      ).filter((g) => sameKey(keyOf(g), slice.key));
      // a list may not show a group made moments ago (by another instance, too): before creating a
      // group, it is read by name, which is current, so an existing one is not PUT again
      const names = new Set(listed.map((g) => g.name));
      const unlisted = desired.filter((d) => !names.has(d.name)).map((d) => d.name);
      const found = await mapPool(unlisted, this.settings.concurrency, (n) => this.getGroup(n, options.signal));
      const existing = [
        ...listed,
        ...found.filter((g): g is ContainerGroup => g !== undefined && sameKey(keyOf(g), slice.key)),
      ];
      const steps = plan(desired, existing);
      return this.execute(steps, existing, options.signal);
    });
  }

  async remove(key: SliceKey, options: CallOptions = {}): Promise<ApplyResult> {
    return this.call(
      { deployment: key.deployment, reason: options.reason ?? 'delete', secrets: [] },
      'remove',
      async () => {
        const groups = (await this.list({ fleet: key.fleet, deployment: key.deployment }, options.signal)).filter((g) =>
          sameKey(keyOf(g), key),
        );
        const results = await mapPool(groups, this.settings.concurrency, (g) =>
          this.deleteGroup(g.name!, options.signal),
        );
        const writes = results.filter(Boolean).length;
        return { changed: writes > 0, writes };
      },
    );
  }

  async close(): Promise<void> {
    this.clientPromise = undefined;
  }

  // ---- internals ----

  /** Runs a step list; on a terminal failure, deletes the groups this call created (nothing half-made). */
  private async execute(steps: Step[], existing: ContainerGroup[], signal?: AbortSignal): Promise<ApplyResult> {
    let writes = 0;
    const created: string[] = [];
    const existed = new Set(existing.map((g) => g.name));
    const run = async (step: Step): Promise<void> => {
      switch (step.kind) {
        case 'create':
          writes++;
          await this.put(step.d, signal);
          if (!existed.has(step.d.name)) created.push(step.d.name);
          return;
        case 'update':
          writes++;
          try {
            await this.put(step.d, signal);
          } catch (e) {
            // our list of in-place properties may be behind ACI's: fall back to a replacement
            if (classify(e, this.errorContext('apply')).providerCode !== 'InvalidContainerGroupUpdate') throw e;
            writes += 2;
            await this.deleteGroup(step.d.name, signal);
            await this.put(step.d, signal);
          }
          return;
        case 'replace':
          writes += 2;
          await this.deleteGroup(step.d.name, signal);
          await this.put(step.d, signal);
          return;
        case 'delete':
          if (await this.deleteGroup(step.name, signal)) writes++;
          return;
      }
    };
    try {
      await mapPool(steps, this.settings.concurrency, run);
    } catch (e) {
      const err = classify(e, this.errorContext('apply'));
      if (!err.retryable && created.length) {
        const undone = await mapPool(created, this.settings.concurrency, (n) =>
          this.deleteGroup(n).then(
            () => true,
            () => false,
          ),
        );
        writes += undone.filter(Boolean).length;
      }
      throw err;
    }
    return { changed: writes > 0, writes };
  }

  private async put(d: DesiredGroup, signal?: AbortSignal): Promise<void> {
    const client = await this.client();
    this.wrote(d.name, d.specHash);
    await client.containerGroups.beginCreateOrUpdateAndWait(this.settings.resourceGroup, d.name, d.group, {
      updateIntervalInMs: this.settings.updateIntervalInMs,
      ...(signal ? { abortSignal: signal } : {}),
    });
  }

  /** Records a write (before it is sent: a write whose answer is lost may still have happened). */
  private wrote(name: string, spec: string | null): void {
    if ((this.options.consistencyWindowMs ?? DEFAULT_CONSISTENCY_WINDOW_MS) > 0)
      this.written.set(name, { at: this.clock.now(), spec });
  }

  private async getGroup(name: string, signal?: AbortSignal): Promise<ContainerGroup | undefined> {
    const client = await this.client();
    try {
      return await client.containerGroups.get(this.settings.resourceGroup, name, signal ? { abortSignal: signal } : {});
    } catch (e) {
      if (isNotFound(e)) return undefined; // deleted since the list
      throw e;
    }
  }

  /** Deletes and waits; true when something was deleted, false when it was already gone. */
  private async deleteGroup(name: string, signal?: AbortSignal): Promise<boolean> {
    const client = await this.client();
    let existed = true;
    let first = true;
    this.wrote(name, null);
    const gone = () => {
      const w = this.written.get(name);
      if (w?.spec === null) w.gone = true;
    };
    try {
      await client.containerGroups.beginDeleteAndWait(this.settings.resourceGroup, name, {
        updateIntervalInMs: this.settings.updateIntervalInMs,
        ...(signal ? { abortSignal: signal } : {}),
        // polls report through the same callback: only the initial answer says whether it existed
        onResponse: (raw) => {
          if (first && raw.status === 204) existed = false; // "did not exist" (ContainerGroups_Delete)
          first = false;
        },
      });
    } catch (e) {
      if (!isNotFound(e)) throw e;
      gone();
      return false;
    }
    gone();
    return existed;
  }

  /**
   * Every skyfleet group of the selector in the resource group (the SDK follows nextLink), with the
   * groups this instance wrote that the list does not show as written yet read by name instead.
   */
  private async list(selector: SliceSelector, signal?: AbortSignal): Promise<ContainerGroup[]> {
    const client = await this.client();
    const listed = new Map<string, ContainerGroup>();
    try {
      for await (const g of client.containerGroups.listByResourceGroup(
        this.settings.resourceGroup,
        signal ? { abortSignal: signal } : {},
      )) {
        if (g.name) listed.set(g.name, g);
      }
    } catch (e) {
      if (!isNotFound(e) || classify(e, this.errorContext('observe')).providerCode === 'ResourceGroupNotFound') throw e;
    }
    const behind = this.notShownYet(listed);
    const read = await mapPool(behind, this.settings.concurrency, (name) => this.getGroup(name, signal));
    behind.forEach((name, i) => {
      const g = read[i];
      if (g) {
        this.readByName.add(g);
        listed.set(name, g);
      } else {
        listed.delete(name);
        const w = this.written.get(name);
        if (w?.spec === null) w.gone = true;
      }
    });
    return [...listed.values()].filter((g) => isOurs(g, selector, this.target));
  }

  /**
   * Written groups the list does not show as written: to be read by name. A put is forgotten once a
   * list shows its spec hash; a delete is kept for the window, and a group known gone is dropped
   * from lists that still show it. Past the window, lists are trusted again.
   */
  private notShownYet(listed: Map<string, ContainerGroup>): string[] {
    const window = this.options.consistencyWindowMs ?? DEFAULT_CONSISTENCY_WINDOW_MS;
    const out: string[] = [];
    for (const [name, w] of this.written) {
      const g = listed.get(name);
      if (this.clock.now() - w.at > window) this.written.delete(name);
      else if (w.spec !== null) {
        if (g?.tags?.[TAGS.spec] === w.spec) this.written.delete(name);
        else out.push(name);
      } else if (g) {
        if (w.gone) listed.delete(name);
        else out.push(name);
      }
    }
    return out;
  }

  private async registryPasswords(): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const [i, r] of this.settings.registryCredentials.entries()) {
      const v = await this.resolve(r.passwordFrom);
      if (v === undefined) {
        throw new ValidationError(
          [
            {
              path: `registryCredentials[${i}].passwordFrom`,
              message: `no password for registry ${r.server}: ${
                'env' in r.passwordFrom
                  ? `set the environment variable ${r.passwordFrom.env}`
                  : `set the environment variable ${secretEnvName(r.passwordFrom.secretKeyRef)} (or pass a secrets resolver to createFleet)`
              }`,
            },
          ],
          `target ${this.target}`,
        );
      }
      out[r.server] = v;
    }
    return out;
  }

  private async resolve(src: SecretSource): Promise<string | undefined> {
    if ('env' in src) return process.env[src.env] || undefined;
    // the SDK option first, else the fleet's resolver (YAML and the CLI: SKYFLEET_SECRET_<NAME>_<KEY>)
    const resolve = this.options.resolveSecret ?? this.ctx.secrets;
    return resolve ? (await resolve(src.secretKeyRef)) || undefined : undefined;
  }

  private errorContext(operation: string) {
    const c = currentCallScope();
    return {
      target: this.target,
      operation,
      now: this.clock.now(),
      ...(c?.lastRequestId ? { lastRequestId: c.lastRequestId } : {}),
    };
  }

  /** Runs `fn` in a call scope; anything it throws leaves as a classified ProviderError. */
  private async call<T>(
    context: Pick<CallScope, 'deployment' | 'reason' | 'secrets'>,
    operation: string,
    fn: () => Promise<T>,
  ): Promise<T> {
    return runInCallScope({ ...context, recorder: this.recorder }, async () => {
      try {
        return await fn();
      } catch (e) {
        if (e instanceof ValidationError || e instanceof ProviderError) throw e;
        throw classify(e, this.errorContext(operation));
      }
    });
  }

  private client(): Promise<ContainerInstanceManagementClient> {
    this.clientPromise ??= this.makeClient();
    return this.clientPromise;
  }

  private async makeClient(): Promise<ContainerInstanceManagementClient> {
    let client = this.options.client;
    if (!client) {
      const { ContainerInstanceManagementClient } = await import('@azure/arm-containerinstance');
      const token = this.settings.accessToken;
      const credential =
        this.options.credential ??
        (token
          ? { getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 3_600_000 }) }
          : new (await import('@azure/identity')).DefaultAzureCredential());
      const endpoint = this.settings.endpoint?.replace(/\/+$/, '');
      const ca = this.settings.caFile ? await trustedWith(this.settings.caFile) : undefined;
      client = new ContainerInstanceManagementClient(credential, this.settings.subscriptionId, {
        ...(endpoint ? { endpoint, $host: endpoint, credentialScopes: ['https://management.azure.com/.default'] } : {}),
        ...(ca ? { tlsOptions: { ca } } : {}),
        ...(this.options.retry ? { retryOptions: this.options.retry } : {}),
      });
    }
    installCallLog(client);
    return client;
  }
}

/** The system's CAs and those of `file` (PEM). */
async function trustedWith(file: string): Promise<string[]> {
  const [{ readFile }, { rootCertificates }] = await Promise.all([import('node:fs/promises'), import('node:tls')]);
  return [...rootCertificates, await readFile(file, 'utf8')];
}

function sameKey(a: SliceKey, b: SliceKey): boolean {
  return a.fleet === b.fleet && a.deployment === b.deployment && a.revision === b.revision && a.zone === b.zone;
}

/** What to do per group: create the missing, fix the different, replace the failed, delete the extra. */
export function plan(desired: readonly DesiredGroup[], existing: readonly ContainerGroup[]): Step[] {
  const byName = new Map(existing.map((g) => [g.name, g]));
  const steps: Step[] = [];
  for (const d of desired) {
    const a = byName.get(d.name);
    if (!a) steps.push({ kind: 'create', d });
    else if (FAILED_STATES.has((a.provisioningState ?? '').toLowerCase()))
      steps.push({ kind: 'replace', d, why: `provisioning ${a.provisioningState}` });
    else if ((a.provisioningState ?? '').toLowerCase() === 'deleting') steps.push({ kind: 'create', d });
    else if (differs(d, a)) {
      const why = replacementReason(d.group, a);
      steps.push(why ? { kind: 'replace', d, why } : { kind: 'update', d });
    }
  }
  const wanted = new Set(desired.map((d) => d.name));
  for (const g of existing) if (g.name && !wanted.has(g.name)) steps.push({ kind: 'delete', name: g.name });
  return steps;
}
