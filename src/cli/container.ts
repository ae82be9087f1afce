import { existsSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { callLogPathProblem } from '../calllog/call-log.js';
import type { Fleet } from '../fleet.js';
import type { Logger } from '../log/logger.js';
import type { Clock } from '../util/clock.js';
import type { GlobalOptions, ResolvedConfig } from './config.js';
import { type RemoteTarget, resolveRemote } from './remote-target.js';
import { UsageError } from './usage-error.js';

/** Service identifiers of the CLI's composition root. */
export const TYPES = {
  Config: Symbol.for('skyfleet.Config'),
  Clock: Symbol.for('skyfleet.Clock'),
  Logger: Symbol.for('skyfleet.Logger'),
  Fleet: Symbol.for('skyfleet.Fleet'),
} as const;

export interface Composed {
  config: Pick<ResolvedConfig, 'deployments'> & Partial<ResolvedConfig>;
  fleet: Fleet;
  logger: Logger;
  /** `apply`: records the fleet in the store; called once every document passed admission. */
  recordFleet?: () => Promise<void>;
}

/**
 * The one inversify container: targets, store, clock and logger, bound without decorators. The
 * library itself never sees it; `createFleet` takes plain arguments. Everything heavy is imported
 * here, lazily, so `skyfleet --help` stays fast.
 */
export async function compose(
  opts: GlobalOptions,
  file?: string,
  options: {
    recordFleet?: boolean;
    /** `server` and `controller` run on this machine's store whatever context is current. */
    ignoreContexts?: boolean;
  } = {},
): Promise<Composed> {
  const remote = remoteOf(opts, process.env, { contexts: options.ignoreContexts !== true });
  if (remote) return composeRemote(remote, file, opts.strict === true);
  const [{ Container }, { resolveFleet }, { createFleet }, { createPinoLogger }, { systemClock }] = await Promise.all([
    import('inversify'),
    import('./fleet-record.js'),
    import('../fleet.js'),
    import('../log/logger.js'),
    import('../util/clock.js'),
  ]);
  // the config's fleet, else the one recorded at apply; apply records it (recordFleet)
  // whether the store is new is known before the fleet is recorded in it
  const fresh = new Set<string>();
  const {
    config: resolved,
    notes,
    record,
  } = await resolveFleet(opts, file, {
    record: options.recordFleet === true,
    beforeOpen: (path) => {
      if (!storeExistsAt(path)) fresh.add(path);
    },
  });
  for (const line of resolved.importMessages) process.stderr.write(`skyfleet: ${line}\n`);
  for (const note of notes) process.stderr.write(`skyfleet: ${note}\n`);
  const container = new Container();
  checkCallLog(resolved.callLog, opts.callLog ? '--call-log' : 'SKYFLEET_CALL_LOG');
  announceNewStore(resolved.storePath, fresh.has(resolved.storePath));
  container.bind<ResolvedConfig>(TYPES.Config).toConstantValue(resolved);
  container.bind<Clock>(TYPES.Clock).toConstantValue(systemClock);
  container.bind<Logger>(TYPES.Logger).toConstantValue(await createPinoLogger());
  container
    .bind<Fleet>(TYPES.Fleet)
    .toDynamicValue((ctx) => {
      const config = ctx.get<ResolvedConfig>(TYPES.Config);
      return createFleet({
        name: config.fleet.metadata.name,
        targets: config.fleet.targets,
        store: config.storePath,
        clock: ctx.get<Clock>(TYPES.Clock),
        logger: ctx.get<Logger>(TYPES.Logger),
        ...(config.callLog ? { callLog: config.callLog } : {}),
      });
    })
    .inSingletonScope();
  return {
    config: container.get<ResolvedConfig>(TYPES.Config),
    fleet: container.get<Fleet>(TYPES.Fleet),
    logger: container.get<Logger>(TYPES.Logger),
    ...(record ? { recordFleet: record } : {}),
  };
}

/** A call log that cannot be written is refused before anything runs (exit 2, with the reason). */
function checkCallLog(path: string | undefined, from: string): void {
  const problem = path ? callLogPathProblem(path) : undefined;
  if (problem) throw new UsageError(`${from} ${path}: cannot write the call log there: ${problem}`);
}

/**
 * A mistyped --store makes a new, empty store: that is allowed, but said on stderr (when this
 * process created the file).
 */
function storeExistsAt(path: string): boolean {
  return path === ':memory:' || /^postgres(ql)?:\/\//i.test(path) || existsSync(path);
}

function announceNewStore(path: string, createdHere: boolean): void {
  if (!createdHere && storeExistsAt(path)) return;
  process.once('exit', () => {
    if (existsSync(path)) writeSync(2, `skyfleet: created a new state store at ${resolve(path)}\n`);
  });
}

/**
 * The server, token and CA to act through (`resolveRemote`: flags, then the environment, then a
 * context), or undefined for the local store.
 */
export function remoteOf(
  opts: GlobalOptions,
  env: NodeJS.ProcessEnv = process.env,
  options: { contexts?: boolean } = {},
): RemoteTarget | undefined {
  return resolveRemote(opts, env, options);
}

/** A fleet served by a skyfleet server: the same commands, through its API. */
async function composeRemote(remote: RemoteTarget, file: string | undefined, strict: boolean): Promise<Composed> {
  const [{ connectFleet }, { loadFileDocuments }, { createPinoLogger }, { readFileSync }] = await Promise.all([
    import('../remote/index.js'),
    import('./config.js'),
    import('../log/logger.js'),
    import('node:fs'),
  ]);
  // a Kubernetes or Compose file is converted here, as for a local store; the server gets Deployments
  const loaded = file ? loadFileDocuments(file, strict) : { deployments: [], messages: [] };
  for (const line of loaded.messages) process.stderr.write(`skyfleet: ${line}\n`);
  const deployments = loaded.deployments;
  const fleet = await connectFleet({
    server: remote.server,
    token: remote.token,
    ...(remote.ca ? { ca: readFileSync(remote.ca) } : {}),
  });
  return { config: { deployments }, fleet, logger: await createPinoLogger() };
}
