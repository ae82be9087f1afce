import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/errors/index.js';
import { gitCli, gitSourceReader, isRepoUrl } from '../../../src/sync/git-source-reader.js';
import { type TestRepo, testRepo } from '../../helpers/git-repo.js';

const repos: TestRepo[] = [];
const dirs: string[] = [];
afterAll(() => {
  for (const r of repos) r.remove();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function repo(): TestRepo {
  const r = testRepo();
  repos.push(r);
  return r;
}

const spec = (name: string, image: string) =>
  `apiVersion: skyfleet.dev/v1\nkind: Deployment\nmetadata: { name: ${name} }\nspec: { template: { containers: [{ name: ${name}, image: ${image} }] } }\n`;

describe('reading a git source', () => {
  it('the head of the branch, and the specs under the path at an exact commit', async () => {
    const r = repo();
    const first = r.commit({ 'deploy/web.yaml': spec('web', 'nginx:1'), 'README.md': 'not a spec' }, 'web');
    const reader = gitSourceReader(r.dir);
    expect(await reader.head('main')).toBe(first);
    const second = r.commit(
      { 'deploy/web.yaml': spec('web', 'nginx:2'), 'other/api.yaml': spec('api', 'x:1') },
      'bump',
    );
    expect(await reader.head('main')).toBe(second);
    // the first commit reads as it was, though the branch moved on
    const old = await reader.specsAt(first, 'deploy/');
    expect(old.map((f) => [f.file, f.deployments[0]!.spec.template.containers[0]!.image])).toEqual([
      ['deploy/web.yaml', 'nginx:1'],
    ]);
    const now = await reader.specsAt(second, 'deploy/');
    expect(now.map((f) => f.deployments[0]!.spec.template.containers[0]!.image)).toEqual(['nginx:2']);
    expect(reader.reads).toEqual({ headChecks: 2, fullReads: 2 });
  });

  it('a commit with an invalid spec: nothing returned, the error names the file and the field', async () => {
    const r = repo();
    const c = r.commit(
      {
        'deploy/a.yaml': spec('a', 'nginx:1'),
        'deploy/b.yaml': spec('b', 'nginx:1').replace('spec: {', 'spec: { replicas: -1,'),
      },
      'broken',
    );
    const err = await gitSourceReader(r.dir)
      .specsAt(c, 'deploy')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues).toEqual([
      { path: 'deploy/b.yaml: spec.replicas', message: expect.stringContaining('expected an integer 0-100000') },
    ]);
  });

  it('Kubernetes manifests in the repository are converted like apply -f', async () => {
    const r = repo();
    const c = r.commit(
      {
        'deploy/k8s.yaml':
          'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: web }\nspec:\n  replicas: 2\n  template:\n    metadata: { labels: { app: web } }\n    spec: { containers: [{ name: web, image: nginx:1.27 }] }\n',
      },
      'k8s',
    );
    const files = await gitSourceReader(r.dir).specsAt(c, 'deploy');
    expect(files[0]!.deployments[0]!.spec.replicas).toBe(2);
  });

  it('a repository named by URL is fetched into a bare copy when a commit it lacks is read, then read there', async () => {
    const r = repo();
    const cache = mkdtempSync(join(tmpdir(), 'skyfleet-git-cache-'));
    dirs.push(cache);
    const url = `file://${r.dir}`;
    expect([isRepoUrl(url), isRepoUrl('git@github.com:o/r.git'), isRepoUrl(r.dir)]).toEqual([true, true, false]);
    const calls: string[][] = [];
    const reader = gitSourceReader(
      url,
      (args) => {
        calls.push(args);
        return gitCli(args);
      },
      cache,
    );
    const first = r.commit({ 'deploy/web.yaml': spec('web', 'nginx:1') }, 'web');
    expect(await reader.head('main')).toBe(first);
    const files = await reader.specsAt(first, 'deploy');
    expect(files.map((f) => f.deployments[0]!.spec.template.containers[0]!.image)).toEqual(['nginx:1']);
    const fetches = () => calls.filter((a) => a.includes('fetch')).length;
    expect(fetches()).toBe(1);
    // the same commit again: no fetch; a new commit: one more
    await reader.specsAt(first, 'deploy');
    expect(fetches()).toBe(1);
    const second = r.commit({ 'deploy/web.yaml': spec('web', 'nginx:2') }, 'bump');
    const again = await reader.specsAt(second, '.');
    expect(fetches()).toBe(2);
    expect(again.map((f) => [f.file, f.deployments[0]!.spec.template.containers[0]!.image])).toEqual([
      ['deploy/web.yaml', 'nginx:2'],
    ]);
    // every read but the head check is of the local copy, never a working tree
    expect(calls.filter((a) => a[0] === '-C' && a[1] === r.dir)).toEqual([]);
  });
});
