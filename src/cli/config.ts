import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { SkyfleetError, ValidationError } from '../errors/index.js';
import type { Deployment } from '../spec/deployment.js';
import type { FleetSpec } from '../spec/fleet.js';
import { loadDocuments } from '../spec/load.js';
import { formatWarning } from '../import/import-warning.js';
import { loadInput } from '../import/load-input.js';

export interface GlobalOptions {
  config?: string;
  store?: string;
  output?: 'table' | 'json' | 'yaml';
  callLog?: string;
  /** The command's --strict: a Kubernetes or Compose file converts with no warning, or not at all. */
  strict?: boolean;
  /** A skyfleet server to act through (also $SKYFLEET_SERVER), with --token / $SKYFLEET_TOKEN. */
  server?: string;
  token?: string;
  /** PEM file of the CA or self-signed certificate of an https server (also $SKYFLEET_CA). */
  ca?: string;
  /** A named server context from the contexts file (also $SKYFLEET_CONTEXT). */
  context?: string;
}

export interface ResolvedConfig {
  fleet: FleetSpec;
  /** Where the fleet came from, for messages. */
  source: string;
  storePath: string;
  /** Deployments from the -f file, if one was given. */
  deployments: Deployment[];
  callLog: string | undefined;
  /** What converting a Kubernetes or Compose -f file said (notes and warnings), for stderr. */
  importMessages: string[];
}

/**
 * The documents of a -f file: skyfleet documents as they are, a Kubernetes or Compose file
 * converted (files it names, such as env_file, are read relative to it), with what the
 * conversion said.
 */
export function loadFileDocuments(
  file: string,
  strict = false,
): { deployments: Deployment[]; fleet: FleetSpec | undefined; messages: string[] } {
  const base = file === '-' ? process.cwd() : dirname(resolve(file));
  const loaded = loadInput(readFileText(file), file, {
    strict,
    readRelative: (path) => {
      try {
        return readFileSync(resolve(base, path), 'utf8');
      } catch {
        return undefined;
      }
    },
  });
  const c = loaded.conversion;
  const messages = c
    ? [
        `${file} is a ${c.format === 'compose' ? 'Compose file' : c.format === 'kubernetes' ? 'Kubernetes manifest' : 'mix of Kubernetes, Compose and skyfleet documents'}: converted (see \`skyfleet convert -f ${file}\`)`,
        ...c.notes.map((n) => `note: ${n}`),
        ...c.warnings.map((w) => `warning: ${formatWarning(w)}`),
      ]
    : [];
  return { deployments: loaded.deployments, fleet: loaded.fleet, messages };
}

export function readFileText(path: string): string {
  try {
    return readFileSync(path === '-' ? 0 : path, 'utf8'); // "-": standard input, as kubectl
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ValidationError([
      { path: path, message: code === 'ENOENT' ? 'file not found' : `cannot read file: ${(e as Error).message}` },
    ]);
  }
}

/**
 * The fleet comes from --config FILE, then SKYFLEET_CONFIG, then ./skyfleet.yaml, then a Fleet
 * document inside the -f file. The store path: --store, SKYFLEET_STORE, the fleet's store.path
 * (relative to its file), then .skyfleet/state.db.
 */
export function resolveConfig(
  opts: GlobalOptions,
  file?: string,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedConfig {
  const fromFile = file
    ? loadFileDocuments(file, opts.strict === true)
    : { fleet: undefined, deployments: [], messages: [] };
  const configPath = opts.config ?? env.SKYFLEET_CONFIG ?? (existsSync('skyfleet.yaml') ? 'skyfleet.yaml' : undefined);
  let fleet: FleetSpec | undefined;
  let source = '';
  if (configPath) {
    const docs = loadDocuments(readFileText(configPath), configPath);
    if (!docs.fleet)
      throw new ValidationError(
        [{ path: 'kind', message: 'expected a Fleet document in the config file' }],
        configPath,
      );
    fleet = docs.fleet;
    source = configPath;
    if (fromFile.fleet && fromFile.fleet.metadata.name !== fleet.metadata.name) {
      throw new ValidationError(
        [
          {
            path: 'metadata.name',
            message: `the Fleet in ${file} is "${fromFile.fleet.metadata.name}" but the config ${configPath} is fleet "${fleet.metadata.name}": use one`,
          },
        ],
        file,
      );
    }
  } else if (fromFile.fleet) {
    fleet = fromFile.fleet;
    source = file!;
  }
  if (!fleet) {
    throw new SkyfleetError(
      'no_fleet',
      'no fleet configured: pass --config FILE, set SKYFLEET_CONFIG, create ./skyfleet.yaml, or put a Fleet document in the -f file',
    );
  }
  const base = dirname(resolve(source));
  const path = fleet.store?.path;
  // a PostgreSQL URL is used as it is; a file path is relative to the fleet's file
  const fromFleet = !path
    ? undefined
    : /^postgres(ql)?:\/\//.test(path) || isAbsolute(path)
      ? path
      : resolve(base, path);
  const storePath = opts.store ?? env.SKYFLEET_STORE ?? fromFleet ?? '.skyfleet/state.db';
  return {
    fleet,
    source,
    storePath,
    deployments: fromFile.deployments,
    callLog: opts.callLog ?? env.SKYFLEET_CALL_LOG,
    importMessages: fromFile.messages,
  };
}
