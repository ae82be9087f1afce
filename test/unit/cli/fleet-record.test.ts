// The fleet recorded at apply: later commands without a config use it; a different config is used
// and the difference reported; credentials are never recorded.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type FleetResolution,
  fleetDifferences,
  recordableFleet,
  resolveFleet,
} from '../../../src/cli/fleet-record.js';
import { SkyfleetError } from '../../../src/errors/index.js';
import { parseFleet } from '../../../src/spec/load.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';

/** What `apply` does once its documents passed admission: resolve, then record the fleet. */
async function applied_(resolution: Promise<FleetResolution>): Promise<FleetResolution> {
  const r = await resolution;
  await r.record?.();
  return r;
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'skyfleet-record-'));
  dirs.push(dir);
  return dir;
}

const DEPLOYMENT = `---
apiVersion: skyfleet.dev/v1
kind: Deployment
metadata: { name: web }
spec: { replicas: 1, template: { containers: [{ name: web, image: img:1 }] } }
`;
const fleetDoc = (targets: string) =>
  `apiVersion: skyfleet.dev/v1\nkind: Fleet\nmetadata: { name: demo }\ntargets:\n${targets}`;
const LAB = '  - { name: lab, kind: memory, zones: [a, b] }\n';
const ECS_WITH_KEYS = `  - name: aws
    kind: aws-ecs
    region: eu-west-1
    cluster: c
    subnets: { eu-west-1a: [subnet-0aaa] }
    credentials: { accessKeyId: AKIAEXAMPLE, secretAccessKey: s3cr3t-value }
`;

function write(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('resolveFleet', () => {
  it('apply records the fleet of -f; later commands with no config use it', async () => {
    const dir = tempDir();
    const store = join(dir, 'state.db');
    const web = write(dir, 'web.yaml', fleetDoc(LAB) + DEPLOYMENT);
    const applied = await applied_(resolveFleet({ store }, web, { record: true, env: {} }));
    expect(applied.notes).toEqual([]);
    const later = await resolveFleet({ store }, undefined, { env: {} });
    expect(later.config.fleet).toEqual(applied.config.fleet);
    expect(later.config.source).toContain('recorded');
    expect(later.config.storePath).toBe(store);
    // and by SKYFLEET_STORE as well
    expect((await resolveFleet({}, undefined, { env: { SKYFLEET_STORE: store } })).config.fleet.metadata.name).toBe(
      'demo',
    );
  });

  it('a config that differs from the recorded fleet is used, and the difference is a note', async () => {
    const dir = tempDir();
    const store = join(dir, 'state.db');
    await applied_(
      resolveFleet({ store }, write(dir, 'web.yaml', fleetDoc(LAB) + DEPLOYMENT), { record: true, env: {} }),
    );
    const other = write(dir, 'other.yaml', fleetDoc(`${LAB}  - { name: lab2, kind: memory }\n`));
    const r = await resolveFleet({ store, config: other }, undefined, { env: {} });
    expect(r.config.fleet.targets.map((t) => t.name)).toEqual(['lab', 'lab2']);
    expect(r.notes).toHaveLength(1);
    expect(r.notes[0]).toContain('differs from the one recorded');
    expect(r.notes[0]).toContain('target lab2 added (memory)');
    // the same fleet again: no note
    expect((await resolveFleet({ store, config: web(dir) }, undefined, { env: {} })).notes).toEqual([]);
  });

  it('a store with no recorded fleet and no config: the clear error, and no store file made', async () => {
    const dir = tempDir();
    const empty = join(dir, 'state.db');
    await (await SqliteStore.open(empty)).close(); // a store, but nothing applied yet
    for (const store of [empty, join(dir, 'absent', 'state.db')]) {
      const err = await resolveFleet({ store }, undefined, { env: {} }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SkyfleetError);
      expect(err).toMatchObject({ code: 'no_fleet' });
      expect((err as Error).message).toMatch(/^no fleet configured/);
    }
    expect(existsSync(join(dir, 'absent'))).toBe(false);
  });

  it('credentials are never recorded; a fleet that had some needs its config again', async () => {
    const dir = tempDir();
    const store = join(dir, 'state.db');
    const web = write(dir, 'web.yaml', fleetDoc(LAB + ECS_WITH_KEYS) + DEPLOYMENT);
    const applied = await applied_(resolveFleet({ store }, web, { record: true, env: {} }));
    expect(applied.notes.join('\n')).toContain('targets[1].credentials');
    const s = await SqliteStore.open(store);
    try {
      const rec = await s.getFleet();
      expect(rec?.withheld).toEqual(['targets[1].credentials']);
      expect(JSON.stringify(rec)).not.toContain('s3cr3t-value');
      expect(JSON.stringify(rec)).not.toContain('AKIAEXAMPLE');
    } finally {
      await s.close();
    }
    const err = await resolveFleet({ store }, undefined, { env: {} }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'no_fleet' });
    expect((err as Error).message).toContain('never stored (targets[1].credentials)');
    // with the config again, it works
    expect((await resolveFleet({ store, config: web }, undefined, { env: {} })).config.fleet.targets).toHaveLength(2);
  });

  it('apply with a file that has no Deployment records nothing (invalid input touches nothing)', async () => {
    const dir = tempDir();
    const store = join(dir, 'state.db');
    await resolveFleet({ store }, write(dir, 'fleet.yaml', fleetDoc(LAB)), { record: true, env: {} });
    await expect(resolveFleet({ store }, undefined, { env: {} })).rejects.toMatchObject({ code: 'no_fleet' });
  });
});

describe('recordableFleet and fleetDifferences', () => {
  it('leaves out credential settings at any depth and URLs with a password, keeping secret references', () => {
    const fleet = parseFleet({
      apiVersion: 'skyfleet.dev/v1',
      kind: 'Fleet',
      metadata: { name: 'f' },
      targets: [
        { name: 'lab', kind: 'memory' },
        {
          name: 'aws',
          kind: 'aws-ecs',
          region: 'eu-west-1',
          cluster: 'c',
          subnets: { 'eu-west-1a': ['subnet-0aaa'] },
          secrets: { api: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:api' },
          credentials: { accessKeyId: 'AKIA', secretAccessKey: 'x' },
          endpoint: 'https://user:pw@ecs.example.com/',
        },
      ],
    });
    const { spec, withheld } = recordableFleet(fleet);
    expect(withheld).toEqual(['targets[1].credentials', 'targets[1].endpoint']);
    const aws = spec.targets[1] as Record<string, unknown>;
    expect(aws.credentials).toBeUndefined();
    expect(aws.endpoint).toBeUndefined();
    expect(aws.secrets).toEqual({ api: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:api' });
    expect(fleet.targets[1]).toHaveProperty('credentials'); // the fleet itself is untouched
  });

  it('names added, removed and changed targets', () => {
    const f = (targets: unknown[], name = 'f') =>
      parseFleet({ apiVersion: 'skyfleet.dev/v1', kind: 'Fleet', metadata: { name }, targets });
    const a = f([
      { name: 'x', kind: 'memory' },
      { name: 'y', kind: 'memory' },
    ]);
    expect(fleetDifferences(a, a)).toEqual([]);
    expect(
      fleetDifferences(
        a,
        f(
          [
            { name: 'x', kind: 'memory', zones: ['b'] },
            { name: 'z', kind: 'memory' },
          ],
          'g',
        ),
      ),
    ).toEqual(['fleet name "f" -> "g"', 'target x changed', 'target z added (memory)', 'target y removed']);
  });
});

const web = (dir: string) => join(dir, 'web.yaml');
