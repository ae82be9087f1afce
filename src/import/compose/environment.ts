import { type Plain, type Scope, isPlain, show } from '../scope.js';
import type { EnvVarDoc } from '../skyfleet-types.js';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Reads a file named in the Compose file (relative to it), or undefined when it cannot. */
export type ReadRelative = (path: string) => string | undefined;

/** `KEY=VALUE` lines of an env file (comments, blank lines and `export ` skipped; quotes removed). */
export function parseEnvFile(text: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const line of text.split(/\r?\n/)) {
    const t = line.trim();
    if (!t || t.startsWith('#')) continue;
    const m = /^(?:export\s+)?([^=\s]+)\s*=\s*(.*)$/.exec(t);
    if (!m) continue;
    let v = m[2]!;
    if (/^".*"$|^'.*'$/.test(v)) v = v.slice(1, -1);
    else v = v.replace(/\s+#.*$/, '');
    out.push([m[1]!, v]);
  }
  return out;
}

/**
 * `env_file` then `environment` (which wins, as in Compose) as container variables. A variable
 * without a value (taken from the shell by Compose) and a name skyfleet cannot carry are warnings.
 */
export function convertEnvironment(scope: Scope, svc: Plain, read: ReadRelative | undefined): EnvVarDoc[] {
  const vars = new Map<string, string>();
  const set = (s: Scope, name: string, value: unknown) => {
    if (!ENV_NAME.test(name)) {
      s.warn(
        `skyfleet takes variable names of letters, digits and "_" (not starting with a digit), and ${show(name)} is not one: left out; rename it if the program reads it`,
      );
      return;
    }
    if (value === null || value === undefined) {
      s.warn(
        `${name} has no value: Compose takes it from the shell that runs it, skyfleet cannot; left out: set a value, or keep it in a secret (valueFrom.secretKeyRef)`,
      );
      return;
    }
    vars.set(name, typeof value === 'string' ? value : String(value));
  };
  if (svc.env_file !== undefined) {
    const files = Array.isArray(svc.env_file) ? svc.env_file : [svc.env_file];
    files.forEach((f, i) => {
      const s = Array.isArray(svc.env_file) ? scope.at('env_file', i) : scope.at('env_file');
      const path = isPlain(f) ? f.path : f;
      const required = isPlain(f) ? f.required !== false : true;
      const text = typeof path === 'string' && read ? read(path) : undefined;
      if (text === undefined) {
        if (required || !read)
          s.warn(
            `env file ${show(path)} could not be read${read ? '' : ' (no folder to read it from)'}: its variables are not set; convert from the Compose file's folder, or list them under environment`,
          );
        return;
      }
      for (const [k, v] of parseEnvFile(text)) set(s, k, v);
    });
  }
  const env = svc.environment;
  if (Array.isArray(env)) {
    env.forEach((e, i) => {
      const s = scope.at('environment', i);
      const text = String(e);
      const eq = text.indexOf('=');
      if (eq < 0) set(s, text, undefined);
      else set(s, text.slice(0, eq), text.slice(eq + 1));
    });
  } else if (isPlain(env)) {
    for (const [k, v] of Object.entries(env)) set(scope.at('environment', k), k, v);
  } else if (env !== undefined) {
    scope.warn(`expected a list or map of variables, got ${show(env)}`, 'environment');
  }
  return [...vars].map(([name, value]) => ({ name, value }));
}
