import { accessSync, constants } from 'node:fs';
import { resolve } from 'node:path';
import type { GlobalOptions } from './config.js';
import {
  CONTEXT_NAME,
  contextsPath,
  findContext,
  loadContexts,
  type ServerContext,
  saveContexts,
} from './contexts-file.js';
import { emit, outputFormat } from './output.js';
import { table } from './table.js';
import { UsageError } from './usage-error.js';

/** How a context authenticates, for lists: never the token itself. */
function tokenView(c: ServerContext): string {
  return c.token ? 'set' : c.tokenFile ? `file ${c.tokenFile}` : 'none';
}

function readable(path: string, flag: string): string {
  const abs = resolve(path);
  try {
    accessSync(abs, constants.R_OK);
  } catch {
    throw new UsageError(`${flag} ${path}: no readable file there (give the path of an existing file)`);
  }
  return abs;
}

/**
 * `context add NAME --server URL [--token T | --token-file F] [--ca FILE]`. --server, --token and
 * --ca are the program's own options (commander reads them wherever they stand); files are kept
 * as absolute paths, so the context works from any directory.
 */
export async function contextAddCommand(opts: GlobalOptions, name: string, cmd: { tokenFile?: string }): Promise<void> {
  if (!CONTEXT_NAME.test(name))
    throw new UsageError(
      `context add: NAME ${JSON.stringify(name)}: expected lower-case letters, digits, ".", "_" or "-" (such as prod or lab-1)`,
    );
  if (!opts.server)
    throw new UsageError(`context add ${name}: --server URL is required (such as https://127.0.0.1:7443)`);
  if (!/^https?:\/\/\S+$/.test(opts.server))
    throw new UsageError(
      `context add ${name}: --server: expected an http:// or https:// URL, got ${JSON.stringify(opts.server)}`,
    );
  if (opts.token && cmd.tokenFile)
    throw new UsageError(`context add ${name}: --token and --token-file do not go together: give one`);
  const path = contextsPath();
  const file = loadContexts(path);
  if (file.contexts.some((c) => c.name === name))
    throw new UsageError(
      `context add: ${name} exists already in ${path}: delete it first (\`skyfleet context delete ${name}\`) or pick another name`,
    );
  const context: ServerContext = {
    name,
    server: opts.server.replace(/\/+$/, ''),
    ...(opts.token ? { token: opts.token } : {}),
    ...(cmd.tokenFile ? { tokenFile: readable(cmd.tokenFile, '--token-file') } : {}),
    ...(opts.ca ? { ca: readable(opts.ca, '--ca') } : {}),
  };
  saveContexts(path, { current: file.current, contexts: [...file.contexts, context] });
  process.stdout.write(
    `context ${name} added (${context.server}, token ${context.token ? 'set' : context.tokenFile ? 'from a file' : 'none'})${
      file.current === name ? '' : `; use it with \`skyfleet context use ${name}\``
    }\n`,
  );
}

export async function contextUseCommand(name: string): Promise<void> {
  const path = contextsPath();
  const file = loadContexts(path);
  const context = findContext(file, name, path);
  saveContexts(path, { ...file, current: context.name });
  process.stdout.write(`now using context ${name} (${context.server})\n`);
}

export async function contextListCommand(opts: GlobalOptions): Promise<void> {
  const format = outputFormat(opts);
  const file = loadContexts(contextsPath());
  const rows = file.contexts.map((c) => ({
    name: c.name,
    current: c.name === file.current,
    server: c.server,
    token: tokenView(c),
    ca: c.ca ?? null,
  }));
  await emit(format, rows, () =>
    rows.length
      ? table(
          ['CURRENT', 'NAME', 'SERVER', 'TOKEN', 'CA'],
          rows.map((r) => [r.current ? '*' : '', r.name, r.server, r.token, r.ca ?? '-']),
        )
      : 'No contexts. Add one with `skyfleet context add NAME --server URL --token-file FILE`.',
  );
}

export async function contextCurrentCommand(): Promise<void> {
  const path = contextsPath();
  const file = loadContexts(path);
  if (!file.current)
    throw new UsageError(`no current context in ${path}: choose one with \`skyfleet context use NAME\``);
  process.stdout.write(`${file.current}\n`);
}

export async function contextDeleteCommand(name: string): Promise<void> {
  const path = contextsPath();
  const file = loadContexts(path);
  findContext(file, name, path);
  const current = file.current === name ? null : file.current;
  saveContexts(path, { current, contexts: file.contexts.filter((c) => c.name !== name) });
  process.stdout.write(
    `context ${name} deleted${file.current === name ? '; no context is current now (commands act on the local store)' : ''}\n`,
  );
}
