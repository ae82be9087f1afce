/**
 * The version of each secret an ECS task starting now would read (its `secrets[].valueFrom`):
 * for a Secrets Manager secret the version id staged `AWSCURRENT` (DescribeSecret
 * `VersionIdsToStages`), for an SSM parameter its `Version` (DescribeParameters, filtered by
 * name). Only metadata is read, never a value: the caller needs `secretsmanager:DescribeSecret`
 * and `ssm:DescribeParameters`, not the execution role's GetSecretValue. The clients
 * (`@aws-sdk/client-secrets-manager`, `@aws-sdk/client-ssm`) are optional dependencies, installed
 * by default and loaded on first use.
 */
import { createRequire } from 'node:module';
import { ProviderError, ValidationError } from '../../src/errors/index.js';
import type { SecretReference } from '../../src/provider/provider.js';
import type { AwsClient, CallCtx, EcsApi } from './api.js';
import { installCallLog } from './calllog.js';
import { secretArn, secretValueFrom } from './mapping.js';
import type { AwsEcsTargetSettings } from './settings.js';

type Client = AwsClient & { middlewareStack: never; destroy(): void };

/** The part of `@aws-sdk/client-secrets-manager` used here. */
export interface SecretsManagerModule {
  SecretsManagerClient: new (config: Record<string, unknown>) => Client;
  DescribeSecretCommand: new (input: { SecretId: string }) => unknown;
}

/** The part of `@aws-sdk/client-ssm` used here. */
export interface SsmModule {
  SSMClient: new (config: Record<string, unknown>) => Client;
  DescribeParametersCommand: new (input: {
    ParameterFilters: Array<{ Key: string; Option: string; Values: string[] }>;
    MaxResults?: number;
    NextToken?: string;
  }) => unknown;
}

export interface SecretStoreModules {
  secretsManager: () => Promise<SecretsManagerModule>;
  ssm: () => Promise<SsmModule>;
}

const installed = (pkg: string): boolean => {
  try {
    createRequire(import.meta.url).resolve(pkg);
    return true;
  } catch {
    return false;
  }
};

/** The installed clients' modules, each loaded on first use (an absent one fails when needed). */
export const defaultSecretStoreModules: SecretStoreModules = {
  secretsManager: async () => {
    if (!installed('@aws-sdk/client-secrets-manager')) throw missing('@aws-sdk/client-secrets-manager');
    return (await import('@aws-sdk/client-secrets-manager')) as unknown as SecretsManagerModule;
  },
  ssm: async () => {
    if (!installed('@aws-sdk/client-ssm')) throw missing('@aws-sdk/client-ssm');
    return (await import('@aws-sdk/client-ssm')) as unknown as SsmModule;
  },
};

function missing(pkg: string): Error {
  return new Error(
    `${pkg} is not installed: install it (an optional dependency of skyfleet) or set the target's trackSecretVersions: false`,
  );
}

/** The SSM parameter name behind a `valueFrom` of `<parameter ARN>/<key>`: always a path. */
export function ssmParameterName(valueFrom: string): string {
  return `/${valueFrom.slice(valueFrom.indexOf(':parameter/') + ':parameter/'.length)}`;
}

/**
 * Reads versions through the target's EcsApi (each call recorded and classified like ECS's),
 * with clients made on first use from the ECS client's region and credentials.
 */
export class EcsSecretVersions {
  private sm: { mod: SecretsManagerModule; client: Client } | undefined;
  private ssm: { mod: SsmModule; client: Client } | undefined;

  constructor(
    private readonly api: EcsApi,
    private readonly modules: SecretStoreModules,
    /** The client config of each store (region, credentials, endpoint). */
    private readonly config: (store: 'secretsManager' | 'ssm') => Record<string, unknown>,
    private readonly settings: Pick<AwsEcsTargetSettings, 'name' | 'secrets' | 'trackSecretVersions'>,
  ) {}

  private get target(): string {
    return this.settings.name;
  }

  /**
   * One version per reference, in order (none for every one with `trackSecretVersions: false`).
   * A reference that names no ARN is a ValidationError, before any call.
   */
  async versions(refs: readonly SecretReference[], ctx: CallCtx): Promise<Array<string | undefined>> {
    const arns = refs.map((r) => secretArn(r, this.settings));
    const unknown = refs.filter((_, i) => !arns[i]);
    if (unknown.length)
      throw new ValidationError(
        unknown.map((r) => ({
          path: 'spec.template.containers[].env[].valueFrom.secretKeyRef.name',
          message: `"${r.name}" is neither an ARN nor a key of target ${this.target}'s secrets map`,
        })),
      );
    if (!this.settings.trackSecretVersions) return refs.map(() => undefined);
    const valueFroms = refs.map((r) => secretValueFrom(r, this.settings)!);
    const bySecret = new Map<string, Promise<string>>();
    const params = [...new Set(valueFroms.filter((_, i) => arns[i]!.includes(':ssm:')).map(ssmParameterName))];
    const paramVersions = params.length ? await this.parameterVersions(params, ctx) : new Map<string, string>();
    const out: Array<string | undefined> = [];
    for (const [i, arn] of (arns as string[]).entries()) {
      const what = `secret ${refs[i]!.name}/${refs[i]!.key}`;
      if (arn.includes(':secretsmanager:')) {
        if (!bySecret.has(arn)) bySecret.set(arn, this.currentSecretVersion(arn, what, ctx));
        out.push(await bySecret.get(arn)!);
      } else if (arn.includes(':ssm:')) {
        const name = ssmParameterName(valueFroms[i]!);
        const v = paramVersions.get(name);
        if (v === undefined)
          throw new ProviderError(
            `${what}: SSM parameter ${name} does not exist: create it, or fix the ARN in the target's secrets map`,
            { provider: 'aws-ecs', target: this.target, retryable: false, providerCode: 'ParameterNotFound' },
          );
        out.push(v);
      } else {
        // neither store: nothing to track
        out.push(undefined);
      }
    }
    return out;
  }

  close(): void {
    this.sm?.client.destroy();
    this.ssm?.client.destroy();
  }

  private async currentSecretVersion(arn: string, what: string, ctx: CallCtx): Promise<string> {
    if (!this.sm) {
      const mod = await this.load(() => this.modules.secretsManager());
      this.sm = { mod, client: this.client(mod.SecretsManagerClient, 'secretsManager') };
    }
    const res = await this.call<{ VersionIdsToStages?: Record<string, string[]> }>(
      'DescribeSecret',
      new this.sm.mod.DescribeSecretCommand({ SecretId: arn }),
      this.sm.client,
      ctx,
      `${what} (${arn})`,
      'secretsmanager:DescribeSecret',
    );
    const current = Object.entries(res.VersionIdsToStages ?? {}).find(([, stages]) => stages.includes('AWSCURRENT'));
    if (!current)
      throw new ProviderError(`${what} (${arn}): the secret has no AWSCURRENT version: put a value in it`, {
        provider: 'aws-ecs',
        target: this.target,
        retryable: false,
        operation: 'DescribeSecret',
      });
    return current[0];
  }

  private async parameterVersions(names: readonly string[], ctx: CallCtx): Promise<Map<string, string>> {
    if (!this.ssm) {
      const mod = await this.load(() => this.modules.ssm());
      this.ssm = { mod, client: this.client(mod.SSMClient, 'ssm') };
    }
    const out = new Map<string, string>();
    for (let i = 0; i < names.length; i += 50) {
      let token: string | undefined;
      do {
        const res: { Parameters?: Array<{ Name?: string; Version?: number }>; NextToken?: string } = await this.call(
          'DescribeParameters',
          new this.ssm.mod.DescribeParametersCommand({
            ParameterFilters: [{ Key: 'Name', Option: 'Equals', Values: names.slice(i, i + 50) }],
            MaxResults: 50,
            ...(token ? { NextToken: token } : {}),
          }),
          this.ssm.client,
          ctx,
          `SSM parameters ${names.slice(i, i + 50).join(', ')}`,
          'ssm:DescribeParameters',
        );
        for (const p of res.Parameters ?? []) if (p.Name && p.Version !== undefined) out.set(p.Name, String(p.Version));
        token = res.NextToken;
      } while (token);
    }
    return out;
  }

  private client(C: new (config: Record<string, unknown>) => Client, store: 'secretsManager' | 'ssm'): Client {
    const c = new C(this.config(store));
    installCallLog(c as never);
    return c;
  }

  private async load<T>(load: () => Promise<T>): Promise<T> {
    try {
      return await load();
    } catch (e) {
      throw new ProviderError((e as Error).message, {
        provider: 'aws-ecs',
        target: this.target,
        retryable: false,
        providerCode: 'ClientNotInstalled',
      });
    }
  }

  /** One call; its error says what was being read and, when denied, which permission is missing. */
  private async call<T>(
    operation: string,
    command: unknown,
    client: Client,
    ctx: CallCtx,
    what: string,
    permission: string,
  ): Promise<T> {
    try {
      return await this.api.send<T>(operation, command, ctx, client);
    } catch (e) {
      if (!(e instanceof ProviderError)) throw e;
      const denied = /AccessDenied/.test(e.providerCode ?? '');
      throw e.restated(
        `${what}: ${e.providerMessage}${
          denied
            ? ` (skyfleet reads the version a task would start with, so that a rotation rolls out: allow ${permission} to skyfleet's credentials, or set the target's trackSecretVersions: false)`
            : ''
        }`,
      );
    }
  }
}
