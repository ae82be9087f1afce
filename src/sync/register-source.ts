import { ValidationError, type ValidationIssue } from '../errors/index.js';
import { NAME_PATTERN, NAME_RULE } from '../spec/names.js';
import type { GitSourceRecord, GitSourceStore } from '../store/git-source-store.js';
import { parseDurationMs } from '../util/duration.js';

/** How often the controller checks a source's head when no interval is given (Argo CD: 180 s). */
export const DEFAULT_SYNC_INTERVAL_MS = 30_000;
const MIN_INTERVAL_MS = 1_000;
const MAX_INTERVAL_MS = 24 * 3_600_000;
/** The shortest webhook secret accepted (GitHub suggests a long random string). */
export const MIN_WEBHOOK_SECRET = 16;

/**
 * The name a source gets when none is given: the repository's last path segment without `.git`,
 * lowercased, other characters as `-`, cut to 40 (`https://host/acme/Deploy.git` -> `deploy`);
 * undefined when nothing usable is left.
 */
export function sourceNameOf(repo: string): string | undefined {
  const last = repo
    .replace(/\.git\/?$/, '')
    .split(/[/:]/)
    .filter(Boolean)
    .pop();
  const name = (last ?? '')
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return NAME_PATTERN.test(name) ? name : undefined;
}

/** A source as registered: the settings, before any sync. */
export interface GitSourceInput {
  name: string;
  repo: string;
  branch?: string;
  path?: string;
  /** A duration ("30s", "2m") or milliseconds. */
  interval?: string | number;
  prune?: boolean;
  webhookSecret?: string | null;
}

/**
 * Checks a source's settings (each bad field named with its fix, the secret never echoed) and
 * returns them with the defaults: branch `main`, path `.`, interval 30 s, no prune.
 */
export function gitSourceSettings(
  input: GitSourceInput,
): Pick<GitSourceRecord, 'name' | 'repo' | 'branch' | 'path' | 'intervalMs' | 'prune' | 'webhookSecret'> {
  const issues: ValidationIssue[] = [];
  const name = input.name;
  if (typeof name !== 'string' || !NAME_PATTERN.test(name))
    issues.push({ path: 'name', message: `expected ${NAME_RULE}, got ${JSON.stringify(name)}` });
  const repo = typeof input.repo === 'string' ? input.repo.trim() : '';
  if (!repo) issues.push({ path: 'repo', message: 'expected a repository: a local path or a URL git can clone' });
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  else if (repo.startsWith('-') || /[\s\u0000-\u001f]/.test(repo))
    issues.push({ path: 'repo', message: 'a repository may not start with "-" nor hold spaces or control characters' });
  const branch = input.branch ?? 'main';
  if (
    typeof branch !== 'string' ||
    !/^[A-Za-z0-9._/-]+$/.test(branch) ||
    branch.startsWith('-') ||
    branch.includes('..') ||
    branch.startsWith('/') ||
    branch.endsWith('/') ||
    branch.endsWith('.lock')
  )
    issues.push({
      path: 'branch',
      message: `expected a branch name such as main or release/1.2, got ${JSON.stringify(branch)}`,
    });
  const rawPath = input.path ?? '.';
  const path =
    typeof rawPath === 'string'
      ? rawPath
          .replace(/^\.\/+/, '')
          .replace(/\/+$/, '')
          .replace(/^\.$/, '') || '.'
      : '';
  if (typeof rawPath !== 'string' || rawPath.startsWith('/') || path.split('/').includes('..') || path.startsWith('-'))
    issues.push({
      path: 'path',
      message: `expected a folder inside the repository such as deploy/ (or . for all of it), got ${JSON.stringify(rawPath)}`,
    });
  const intervalMs = input.interval === undefined ? DEFAULT_SYNC_INTERVAL_MS : parseDurationMs(input.interval);
  if (intervalMs === undefined || intervalMs < MIN_INTERVAL_MS || intervalMs > MAX_INTERVAL_MS)
    issues.push({
      path: 'interval',
      message: `expected a duration from 1s to 24h such as 30s or 5m, got ${JSON.stringify(input.interval)}`,
    });
  if (input.prune !== undefined && typeof input.prune !== 'boolean')
    issues.push({ path: 'prune', message: 'expected true or false' });
  const secret = input.webhookSecret ?? null;
  if (secret !== null && (typeof secret !== 'string' || secret.length < MIN_WEBHOOK_SECRET))
    issues.push({
      path: 'webhookSecret',
      message: `expected a secret of at least ${MIN_WEBHOOK_SECRET} characters (e.g. \`openssl rand -hex 32\`); the value is not shown`,
    });
  if (issues.length) throw new ValidationError(issues, 'git source');
  return { name, repo, branch, path, intervalMs: intervalMs!, prune: input.prune ?? false, webhookSecret: secret };
}

/**
 * Registers a git source, or replaces the settings of one of that name: its sync status is kept
 * while the repository, branch and folder stay (else the next pass reads the head afresh).
 * Without a new webhook secret, a source keeps the one it had.
 */
export async function registerSource(
  store: GitSourceStore,
  input: GitSourceInput,
  now: number,
): Promise<GitSourceRecord> {
  const settings = gitSourceSettings(input);
  const found = await store.getGitSource(settings.name);
  // another repository, branch or folder: what was synced says nothing of it (the next pass reads it)
  const prior =
    found && found.repo === settings.repo && found.branch === settings.branch && found.path === settings.path
      ? found
      : undefined;
  const saved = await store.putGitSource({
    ...settings,
    webhookSecret: input.webhookSecret === undefined ? (found?.webhookSecret ?? null) : settings.webhookSecret,
    lastSeenCommit: prior?.lastSeenCommit ?? null,
    lastSyncedCommit: prior?.lastSyncedCommit ?? null,
    lastError: prior?.lastError ?? null,
    synced: prior?.synced ?? [],
    lastCheckAt: prior?.lastCheckAt ?? null,
    createdAt: found?.createdAt ?? now,
    updatedAt: now,
  });
  if (!found || prior) return saved;
  // the store keeps a source's status when its settings change: clear it here
  const cleared = { lastSeenCommit: null, lastSyncedCommit: null, lastError: null, synced: [], lastCheckAt: null };
  return (await store.recordGitSync(settings.name, cleared, now)) ?? saved;
}
