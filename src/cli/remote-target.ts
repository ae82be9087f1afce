import { readFileSync, statSync } from 'node:fs';
import type { GlobalOptions } from './config.js';
import { contextsPath, findContext, loadContexts, type ServerContext } from './contexts-file.js';
import { UsageError } from './usage-error.js';

/** The server a command acts through, with its token and the CA to trust. */
export interface RemoteTarget {
  server: string;
  token: string;
  ca?: string;
  /** The context it came from, if one. */
  context?: string;
}

/**
 * Where a command goes, by precedence: --server (with --token, --ca), else $SKYFLEET_SERVER (with
 * $SKYFLEET_TOKEN, $SKYFLEET_CA), else the context named by --context or $SKYFLEET_CONTEXT, else the
 * contexts file's current context, else nowhere: the local store (undefined). A context's token
 * and CA are used only for its own server; --token/--ca (then $SKYFLEET_TOKEN/$SKYFLEET_CA) override
 * them. `note` hears when a server setting overrides a context that was asked for.
 */
export function resolveRemote(
  opts: GlobalOptions,
  env: NodeJS.ProcessEnv = process.env,
  options: {
    /** false: --server and $SKYFLEET_SERVER only (`skyfleet server` and `controller` run on the store). */
    contexts?: boolean;
    note?: (line: string) => void;
  } = {},
): RemoteTarget | undefined {
  const note = options.note ?? ((line: string) => process.stderr.write(`skyfleet: ${line}\n`));
  const asked = opts.context || env.SKYFLEET_CONTEXT;
  const askedBy = opts.context ? '--context' : '$SKYFLEET_CONTEXT';
  const server = opts.server ?? env.SKYFLEET_SERVER;
  if (server) {
    const by = opts.server ? '--server' : '$SKYFLEET_SERVER';
    if (asked) note(`${by} ${server} overrides ${askedBy} ${asked}`);
    const token = opts.token ?? env.SKYFLEET_TOKEN;
    if (!token) throw new UsageError(`${by} ${server}: a token is needed too (--token or $SKYFLEET_TOKEN)`);
    const ca = opts.ca ?? env.SKYFLEET_CA;
    return { server, token, ...(ca ? { ca } : {}) };
  }
  if (options.contexts === false) return undefined;
  const path = contextsPath(env);
  const file = loadContexts(path);
  const name = asked || file.current;
  if (!name) {
    // a token on the command line is meant for a server: acting on the local store instead would hide the mistake
    const flag = opts.token !== undefined ? '--token' : opts.ca !== undefined ? '--ca' : undefined;
    if (flag)
      throw new UsageError(
        `${flag}: no server to use it with: pass --server URL, or --context NAME (\`skyfleet context list\`), or drop ${flag} to act on the local store`,
      );
    return undefined;
  }
  if (!asked && !file.contexts.some((c) => c.name === name)) {
    throw new UsageError(
      `the current context ${JSON.stringify(name)} in ${path} is not defined there: pick another with \`skyfleet context use NAME\` (known: ${file.contexts.map((c) => c.name).join(', ') || 'none'})`,
    );
  }
  const context = findContext(file, name, path);
  if (context.token) {
    const mode = statSync(path).mode & 0o777;
    if (mode & 0o077)
      note(
        `contexts file ${path} holds a token and others may read it (mode ${mode.toString(8).padStart(4, '0')}): chmod 600 ${path}`,
      );
  }
  const token = opts.token ?? env.SKYFLEET_TOKEN ?? contextToken(context);
  if (!token)
    throw new UsageError(
      `context ${name} has no token: pass --token, or add the context again with --token-file FILE (\`skyfleet context delete ${name}\` first)`,
    );
  const ca = opts.ca ?? env.SKYFLEET_CA ?? context.ca;
  return { server: context.server, token, ...(ca ? { ca } : {}), context: name };
}

/** A context's token: its own, or the first line of its token file (never echoed in an error). */
export function contextToken(context: ServerContext): string | undefined {
  if (context.token) return context.token;
  if (!context.tokenFile) return undefined;
  let text: string;
  try {
    text = readFileSync(context.tokenFile, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(
      `context ${context.name}: cannot read its token file ${context.tokenFile} (${code ?? 'error'}): restore the file, or add the context again with another --token-file`,
    );
  }
  const token = text.split('\n')[0]!.trim();
  if (!token)
    throw new UsageError(
      `context ${context.name}: its token file ${context.tokenFile} is empty: put the token in it (the last line of \`skyfleet token create\`)`,
    );
  return token;
}
