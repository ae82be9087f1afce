import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SkyfleetError, ValidationError, type ValidationIssue } from '../errors/index.js';
import { loadInput } from '../import/load-input.js';
import type { Deployment } from '../spec/deployment.js';
import { redactRepo } from './redact-repo.js';

const run = promisify(execFile);

/** Counts the git processes a reader runs, by kind: a head check is cheap, a read is not. */
export interface GitReads {
  headChecks: number;
  fullReads: number;
}

/** Runs `git` with these arguments and returns its standard output (injected in tests to count reads). */
export type GitRunner = (args: string[]) => Promise<string>;

/** The git CLI, with no terminal prompt (a URL needing credentials fails instead of waiting). */
export async function gitCli(args: string[]): Promise<string> {
  const { stdout } = await run('git', args, {
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
  });
  return stdout;
}

export interface SpecFile {
  /** Path in the repository. */
  file: string;
  deployments: Deployment[];
}

/** A repository named by URL (`https://`, `ssh://`, `file://`, `git@host:path`), not a local path. */
export function isRepoUrl(repo: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(repo) || /^[^/\s]+@[^/:\s]+:/.test(repo);
}

/** Where bare copies of repositories named by URL are kept (one per URL; deleting it only costs a fetch). */
export const DEFAULT_GIT_CACHE = join(tmpdir(), 'skyfleet-git-cache');

/**
 * Reads a git source through the git CLI: the branch's head commit (one `git ls-remote`), and
 * every spec under a path at one exact commit (`git ls-tree` and `git show COMMIT:FILE`, never a
 * working tree that may be half-updated). A repository named by URL is fetched, when a commit is
 * to be read that its bare copy in `cacheDir` lacks, and read there.
 */
export function gitSourceReader(repo: string, git: GitRunner = gitCli, cacheDir: string = DEFAULT_GIT_CACHE) {
  const reads: GitReads = { headChecks: 0, fullReads: 0 };
  /** The local repository holding `commit`: the repository itself, or its bare copy (fetched if need be). */
  const localWith = async (commit: string): Promise<string> => {
    if (!isRepoUrl(repo)) return repo;
    const dir = join(cacheDir, createHash('sha256').update(repo).digest('hex').slice(0, 24));
    if (!existsSync(join(dir, 'HEAD'))) {
      mkdirSync(dir, { recursive: true });
      await git(['init', '-q', '--bare', dir]);
    }
    const has = () =>
      git(['-C', dir, 'cat-file', '-e', `${commit}^{commit}`]).then(
        () => true,
        () => false,
      );
    if (!(await has())) {
      await git(['-C', dir, 'fetch', '-q', '--no-tags', repo, '+refs/heads/*:refs/heads/*']);
      if (!(await has()))
        throw new SkyfleetError('sync_failed', `commit ${commit} is not in ${redactRepo(repo)} after a fetch`);
    }
    return dir;
  };
  return {
    reads,
    /** The commit the branch points at. */
    async head(branch: string): Promise<string> {
      reads.headChecks++;
      const out = await git(['ls-remote', '--heads', repo, `refs/heads/${branch}`]);
      const sha = out.split(/\s/)[0];
      if (!sha)
        throw new ValidationError([
          {
            path: 'branch',
            message: `no branch ${branch} in ${repo}: push it, or name an existing branch with --branch`,
          },
        ]);
      return sha;
    },
    /**
     * Every .yaml/.yml/.json file under `path` at `commit`, each validated (Kubernetes and Compose
     * files converted): all of them, or a ValidationError naming each bad file and field (nothing
     * half-read is returned).
     */
    async specsAt(commit: string, path: string): Promise<SpecFile[]> {
      reads.fullReads++;
      const dir = path
        .replace(/^\.?\/+/, '')
        .replace(/\/+$/, '')
        .replace(/^\.$/, '');
      const local = await localWith(commit);
      const list = await git(['-C', local, 'ls-tree', '-r', '--name-only', commit, ...(dir ? ['--', dir] : [])]);
      const files = list
        .split('\n')
        .filter((f) => /\.(ya?ml|json)$/.test(f))
        .sort();
      const issues: ValidationIssue[] = [];
      const out: SpecFile[] = [];
      for (const file of files) {
        const text = await git(['-C', local, 'show', `${commit}:${file}`]);
        try {
          out.push({ file, deployments: loadInput(text, file).deployments });
        } catch (e) {
          if (!(e instanceof ValidationError)) throw e;
          for (const i of e.issues) issues.push({ path: `${file}: ${i.path}`, message: i.message });
        }
      }
      if (issues.length) throw new ValidationError(issues, `commit ${commit.slice(0, 12)}`);
      return out;
    },
  };
}
