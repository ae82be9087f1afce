import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/errors/index.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { gitSourceSettings, registerSource, sourceNameOf } from '../../../src/sync/register-source.js';
import { redactRepo } from '../../../src/sync/redact-repo.js';
import { publicSource } from '../../../src/sync/sync-source.js';

const SECRET = 'a-webhook-secret-of-some-length';

const issuesOf = (input: Parameters<typeof gitSourceSettings>[0]) => {
  try {
    gitSourceSettings(input);
  } catch (e) {
    if (e instanceof ValidationError) return e.issues.map((i) => i.path);
    throw e;
  }
  return [];
};

describe('registering a git source', () => {
  it('takes the defaults: branch main, the whole repository, 30 s, no prune, no webhook', () => {
    expect(gitSourceSettings({ name: 'app', repo: '/srv/app.git' })).toEqual({
      name: 'app',
      repo: '/srv/app.git',
      branch: 'main',
      path: '.',
      intervalMs: 30_000,
      prune: false,
      webhookSecret: null,
    });
    expect(gitSourceSettings({ name: 'app', repo: 'r', path: './deploy/', interval: '2m' })).toMatchObject({
      path: 'deploy',
      intervalMs: 120_000,
    });
  });

  it.each([
    ['https://github.com/acme/Deploy.git', 'deploy'],
    ['git@github.com:acme/shop_config.git', 'shop-config'],
    ['/srv/git/123-apps/', 'apps'],
    [`/tmp/${'x'.repeat(60)}`, 'x'.repeat(40)],
    ['/', undefined],
    ['/srv/2024', undefined],
  ])('names a source from its repository %s: %s', (repo, name) => {
    expect(sourceNameOf(repo)).toBe(name);
  });

  it.each([
    [{ name: 'App!', repo: 'r' }, 'name'],
    [{ name: 'app', repo: '' }, 'repo'],
    [{ name: 'app', repo: '--upload-pack=touch /tmp/x' }, 'repo'],
    [{ name: 'app', repo: 'r', branch: '../x' }, 'branch'],
    [{ name: 'app', repo: 'r', branch: '-x' }, 'branch'],
    [{ name: 'app', repo: 'r', path: '../outside' }, 'path'],
    [{ name: 'app', repo: 'r', path: '/etc' }, 'path'],
    [{ name: 'app', repo: 'r', interval: 'soon' }, 'interval'],
    [{ name: 'app', repo: 'r', interval: '100ms' }, 'interval'],
    [{ name: 'app', repo: 'r', webhookSecret: 'short' }, 'webhookSecret'],
  ])('refuses %j naming the field %s', (input, field) => {
    expect(issuesOf(input)).toEqual([field]);
  });

  it('never echoes a webhook secret it refuses', () => {
    const tooShort = 'p4ssw0rd-xyz';
    const e = (() => {
      try {
        gitSourceSettings({ name: 'app', repo: 'r', webhookSecret: tooShort });
      } catch (err) {
        return err as Error;
      }
      throw new Error('expected a refusal');
    })();
    expect(e.message).toContain('webhookSecret');
    expect(e.message).not.toContain(tooShort);
  });

  it('keeps the webhook secret and the status when re-registered; shows neither secret nor token', async () => {
    const store = await SqliteStore.open(':memory:');
    try {
      await registerSource(
        store,
        { name: 'app', repo: 'https://ci:tok3n@git.example/app.git', webhookSecret: SECRET },
        1,
      );
      await store.recordGitSync('app', { lastSyncedCommit: 'c1' }, 2);
      const again = await registerSource(
        store,
        { name: 'app', repo: 'https://ci:tok3n@git.example/app.git', prune: true },
        3,
      );
      expect(again).toMatchObject({ webhookSecret: SECRET, lastSyncedCommit: 'c1', prune: true, createdAt: 1 });
      // another folder: the status goes (the next pass reads the head afresh), the secret stays
      const moved = await registerSource(
        store,
        { name: 'app', repo: 'https://ci:tok3n@git.example/app.git', path: 'other' },
        4,
      );
      expect(moved).toMatchObject({ webhookSecret: SECRET, lastSyncedCommit: null, synced: [], createdAt: 1 });
      const shown = JSON.stringify(publicSource(again));
      expect(shown).not.toContain(SECRET);
      expect(shown).not.toContain('tok3n');
      expect(publicSource(again)).toMatchObject({ hasWebhookSecret: true, repo: 'https://ci:***@git.example/app.git' });
    } finally {
      await store.close();
    }
  });

  it('redacts credentials of repository URLs in any text, keeping ssh users', () => {
    expect(redactRepo('fatal: https://user:secret@host/r.git not found')).toBe(
      'fatal: https://user:***@host/r.git not found',
    );
    expect(redactRepo('https://ghp_token@github.com/o/r')).toBe('https://***@github.com/o/r');
    expect(redactRepo('ssh://git@github.com/o/r.git')).toBe('ssh://git@github.com/o/r.git');
    expect(redactRepo('/srv/git/app.git')).toBe('/srv/git/app.git');
  });
});
