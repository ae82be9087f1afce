import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A git repository in a temporary folder, with a `main` branch, committed to by the test. */
export interface TestRepo {
  dir: string;
  /** Writes (or with null removes) files and commits them; returns the new commit. */
  commit(files: Record<string, string | null>, message: string): string;
  remove(): void;
}

export function testRepo(): TestRepo {
  const dir = mkdtempSync(join(tmpdir(), 'skyfleet-sync-'));
  const g = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.email=t@t', '-c', 'user.name=t', '-C', dir, ...args], {
      encoding: 'utf8',
    }).trim();
  g('init', '-q', '-b', 'main');
  return {
    dir,
    commit(files, message) {
      for (const [f, text] of Object.entries(files)) {
        if (text === null) g('rm', '-q', f);
        else {
          mkdirSync(join(dir, f, '..'), { recursive: true });
          writeFileSync(join(dir, f), text);
          g('add', f);
        }
      }
      g('commit', '-q', '-m', message);
      return g('rev-parse', 'HEAD');
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A skyfleet Deployment as YAML text. */
export const specYaml = (name: string, image: string, replicas = 2) =>
  `apiVersion: skyfleet.dev/v1\nkind: Deployment\nmetadata: { name: ${name} }\nspec:\n  replicas: ${replicas}\n  strategy: { type: RollingUpdate, rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } }\n  template: { containers: [{ name: ${name}, image: "${image}" }] }\n`;
