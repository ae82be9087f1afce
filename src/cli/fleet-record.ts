import { existsSync } from 'node:fs';
import { SkyfleetError } from '../errors/index.js';
import type { FleetSpec } from '../spec/fleet.js';
import type { FleetRecord, Store } from '../store/store.js';
import type { GlobalOptions, ResolvedConfig } from './config.js';

/**
 * Setting names that hold credentials in any target kind (the AWS ECS target's `credentials`
 * with its access key; a kind added with registerProvider may use the others). References to
 * secrets (`secrets` ARNs, ACI's `passwordFrom`) are not credentials and are kept.
 */
const CREDENTIAL_KEY =
  /^(credentials?|password|passphrase|secret|secretKey|secretAccessKey|accessKey|accessKeyId|sessionToken|token|accessToken|apiKey|clientSecret|privateKey|auth|authorization)$/i;
/** A URL with a password in it: `scheme://user:password@host`. */
const URL_WITH_PASSWORD = /^[a-z][a-z0-9+.-]*:\/\/[^/@\s:]*:[^/@\s]+@/i;

/**
 * The Fleet document as the store may keep it: every setting that may hold a credential is left
 * out (at any depth of a target's settings), and its path is returned in `withheld`.
 */
export function recordableFleet(fleet: FleetSpec): { spec: FleetSpec; withheld: string[] } {
  const withheld: string[] = [];
  const clean = (value: unknown, path: string): unknown => {
    if (Array.isArray(value)) return value.map((v, i) => clean(v, `${path}[${i}]`));
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        const p = `${path}.${k}`;
        if (CREDENTIAL_KEY.test(k) || (typeof v === 'string' && URL_WITH_PASSWORD.test(v))) withheld.push(p);
        else out[k] = clean(v, p);
      }
      return out;
    }
    return value;
  };
  const targets = fleet.targets.map((t, i) => clean(t, `targets[${i}]`)) as FleetSpec['targets'];
  return { spec: { ...fleet, targets }, withheld };
}

const canonical = (v: unknown): string =>
  JSON.stringify(v, (_k, x) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b)))
      : x,
  );

/** How `given` differs from `recorded`, one line a difference (none when they are the same). */
export function fleetDifferences(recorded: FleetSpec, given: FleetSpec): string[] {
  const out: string[] = [];
  if (recorded.metadata.name !== given.metadata.name)
    out.push(`fleet name "${recorded.metadata.name}" -> "${given.metadata.name}"`);
  const before = new Map(recorded.targets.map((t) => [t.name, t]));
  const after = new Map(given.targets.map((t) => [t.name, t]));
  for (const [name, t] of after) {
    const old = before.get(name);
    if (!old) out.push(`target ${name} added (${t.kind})`);
    else if (canonical(old) !== canonical(t)) out.push(`target ${name} changed`);
  }
  for (const [name] of before) if (!after.has(name)) out.push(`target ${name} removed`);
  if (canonical(recorded.store ?? {}) !== canonical(given.store ?? {})) out.push('store settings changed');
  return out;
}

export interface FleetResolution {
  config: ResolvedConfig;
  /** Lines for stderr: differences from the recorded fleet, settings not recorded. */
  notes: string[];
  /**
   * With `record`: writes the fleet to the store. The caller runs it once every document passed
   * admission, so a rejected apply leaves the store as it was.
   */
  record?: () => Promise<void>;
}

/** True when a store exists at `storePath` to be read (a SQLite file is never created just to look). */
function storeExists(storePath: string): boolean {
  return /^postgres(ql)?:\/\//i.test(storePath) || (storePath !== ':memory:' && existsSync(storePath));
}

/**
 * The fleet a command works on: the one the config names (config.ts), else the one the store
 * recorded at the last apply. A config that differs from the recorded fleet is used, with the
 * differences in `notes`; `record` (apply) records the config's fleet, without credentials.
 */
export async function resolveFleet(
  opts: GlobalOptions,
  file: string | undefined,
  options: {
    record?: boolean;
    env?: NodeJS.ProcessEnv;
    now?: () => number;
    /** Called with the store's path before it is opened (the caller notes whether it is new). */
    beforeOpen?: (storePath: string) => void;
  } = {},
): Promise<FleetResolution> {
  const env = options.env ?? process.env;
  const { resolveConfig } = await import('./config.js');
  let config: ResolvedConfig | undefined;
  let noFleet: SkyfleetError | undefined;
  try {
    config = resolveConfig(opts, file, env);
  } catch (e) {
    if (!(e instanceof SkyfleetError && e.code === 'no_fleet')) throw e;
    noFleet = e;
  }
  const storePath = config?.storePath ?? opts.store ?? env.SKYFLEET_STORE ?? '.skyfleet/state.db';
  if (!config && !storeExists(storePath)) throw noFleet!;
  // apply records the fleet only when it has something to apply (invalid input touches nothing)
  const record = options.record === true && config !== undefined && config.deployments.length > 0;
  if (config && !record && !storeExists(config.storePath)) return { config, notes: [] };

  const { openStore } = await import('../store/open-store.js');
  options.beforeOpen?.(storePath);
  const store: Store = await openStore(storePath);
  try {
    const recorded = await store.getFleet();
    if (!config) {
      if (!recorded) throw noFleet!;
      return { config: await fromRecord(recorded, storePath, file, opts, env), notes: [] };
    }
    const notes: string[] = [];
    const mine = recordableFleet(config.fleet);
    if (recorded) {
      const diff = fleetDifferences(recorded.spec, mine.spec);
      if (diff.length) {
        notes.push(
          `the fleet of ${config.source} differs from the one recorded in the store at apply (from ${recorded.source}): ${diff.join('; ')}; using ${config.source}${record ? ', and recording it' : ''}`,
        );
      }
    }
    let write: (() => Promise<void>) | undefined;
    if (record) {
      const entry = {
        name: config.fleet.metadata.name,
        spec: mine.spec,
        withheld: mine.withheld,
        source: config.source,
        recordedAt: (options.now ?? Date.now)(),
      };
      write = async () => {
        const s = await openStore(storePath);
        try {
          await s.putFleet(entry);
        } finally {
          await s.close();
        }
      };
      if (mine.withheld.length) {
        notes.push(
          `not recorded in the store (credentials are never stored): ${mine.withheld.join(', ')}; later commands need --config ${config.source}`,
        );
      }
    }
    return { config, notes, ...(write ? { record: write } : {}) };
  } finally {
    await store.close();
  }
}

async function fromRecord(
  recorded: FleetRecord,
  storePath: string,
  file: string | undefined,
  opts: GlobalOptions,
  env: NodeJS.ProcessEnv,
): Promise<ResolvedConfig> {
  if (recorded.withheld.length) {
    throw new SkyfleetError(
      'no_fleet',
      `the fleet recorded at apply (from ${recorded.source}) had credentials, which are never stored (${recorded.withheld.join(', ')}): pass --config FILE or set SKYFLEET_CONFIG`,
    );
  }
  const [{ fleetSpec }, { loadFileDocuments }] = await Promise.all([import('../spec/fleet.js'), import('./config.js')]);
  const fromFile = file ? loadFileDocuments(file, opts.strict === true) : { deployments: [], messages: [] };
  return {
    fleet: fleetSpec.parse(recorded.spec),
    source: `the fleet recorded in ${storePath.replace(/(\/\/[^/@:\s]*:)[^/@\s]+@/, '$1***@')} (from ${recorded.source})`,
    storePath,
    deployments: fromFile.deployments,
    callLog: opts.callLog ?? env.SKYFLEET_CALL_LOG,
    importMessages: fromFile.messages,
  };
}
