import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { z } from 'zod';
import { UsageError } from './usage-error.js';

/** One named way to reach a skyfleet server, like a kubeconfig context. */
export interface ServerContext {
  name: string;
  server: string;
  /** The bearer token itself (the file is written 0600), or... */
  token?: string;
  /** ...a file holding it, read each time it is used. */
  tokenFile?: string;
  /** PEM certificate to trust for an https server. */
  ca?: string;
}

export interface ContextsFile {
  current: string | null;
  contexts: ServerContext[];
}

export const CONTEXT_NAME = /^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$/;

const contextSchema = z
  .object({
    name: z.string().regex(CONTEXT_NAME, 'expected lower-case letters, digits, ".", "_" or "-"'),
    server: z.string().regex(/^https?:\/\/\S+$/, 'expected an http:// or https:// URL'),
    token: z.string().min(1).optional(),
    tokenFile: z.string().min(1).optional(),
    ca: z.string().min(1).optional(),
  })
  .strict();

const fileSchema = z
  .object({
    apiVersion: z.literal('skyfleet.dev/v1'),
    kind: z.literal('Contexts'),
    current: z.string().nullable().default(null),
    contexts: z.array(contextSchema).default([]),
  })
  .strict();

/** Where contexts are kept: $SKYFLEET_CONTEXTS, else ~/.skyfleet/contexts.yaml. */
export function contextsPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.SKYFLEET_CONTEXTS || join(homedir(), '.skyfleet', 'contexts.yaml');
}

/** The contexts at `path`: none when the file does not exist; a malformed file is an error naming the field. */
export function loadContexts(path: string): ContextsFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { current: null, contexts: [] };
    throw new UsageError(`contexts file ${path}: cannot read it: ${(e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    throw new UsageError(`contexts file ${path}: not valid YAML: ${(e as Error).message}`);
  }
  const parsed = fileSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    // a value in the file may be a token: name the field, never echo what is there
    const where = parsed.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`).join('; ');
    throw new UsageError(`contexts file ${path}: ${where} (fix the file, or remove it and add the contexts again)`);
  }
  const seen = new Set<string>();
  for (const c of parsed.data.contexts) {
    if (seen.has(c.name)) throw new UsageError(`contexts file ${path}: context ${c.name} appears twice (keep one)`);
    seen.add(c.name);
    if (c.token && c.tokenFile)
      throw new UsageError(`contexts file ${path}: context ${c.name} has both token and tokenFile (keep one)`);
  }
  return { current: parsed.data.current, contexts: parsed.data.contexts };
}

/** Writes the contexts atomically (a temporary file renamed over the old one), readable by the owner alone. */
export function saveContexts(path: string, data: ContextsFile): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const doc = { apiVersion: 'skyfleet.dev/v1', kind: 'Contexts', current: data.current, contexts: data.contexts };
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(tmp, stringifyYaml(doc), { mode: 0o600, flag: 'wx' });
    chmodSync(tmp, 0o600); // whatever the umask
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new UsageError(`contexts file ${path}: cannot write it: ${(e as Error).message}`);
  }
}

/** The context named `name`, or an error listing the known ones. */
export function findContext(file: ContextsFile, name: string, path: string): ServerContext {
  const found = file.contexts.find((c) => c.name === name);
  if (found) return found;
  const known = file.contexts.map((c) => c.name);
  throw new UsageError(
    `context ${JSON.stringify(name)} not found in ${path}: ${
      known.length ? `known contexts are ${known.join(', ')}` : 'it has no contexts'
    } (add one with \`skyfleet context add NAME --server URL --token-file FILE\`)`,
  );
}
