import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryCloud, MemoryProvider } from '../../../providers/memory/index.js';
import { memoryTargetSettings } from '../../../providers/memory/settings.js';
import { SkyfleetError } from '../../../src/errors/index.js';
import { createFleet, type Fleet } from '../../../src/fleet.js';
import type { DeploymentInput } from '../../../src/spec/deployment.js';
import { skyfleet } from '../../helpers/cli.js';

// "Nothing half-done": every check (schema, targets, budget, limits, secrets, placement) runs
// before the first write, so a rejected request leaves the store byte for byte as it was.

const FLEET = 'admit';
let dir: string;
let fleet: Fleet;
const dbPath = () => join(dir, 'state.db');

/** Every row of every table of the store, as text. */
function snapshot(): string {
  const db = new Database(dbPath(), { readonly: true, fileMustExist: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{
      name: string;
    }>;
    return JSON.stringify(tables.map(({ name }) => [name, db.prepare(`SELECT * FROM "${name}"`).all()]));
  } finally {
    db.close();
  }
}

const web = (spec: Partial<DeploymentInput['spec']> = {}, name = 'web'): DeploymentInput => ({
  apiVersion: 'skyfleet.dev/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: {
    replicas: 4,
    template: { containers: [{ name: 'web', image: 'img:1', ports: [{ containerPort: 8080 }] }] },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
    ...spec,
  },
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skyfleet-admit-'));
  const cloud = new MemoryCloud();
  const mk = (name: string) =>
    new MemoryProvider(
      memoryTargetSettings.parse({ name, kind: 'memory', zones: ['a', 'b'] }),
      { fleet: FLEET },
      { cloud },
    );
  fleet = createFleet({ name: FLEET, targets: [mk('aws'), mk('gcp')], store: dbPath(), secrets: () => undefined });
  expect((await fleet.apply(web())).progress.ready).toBe(4);
});

afterAll(async () => {
  await fleet?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A request that must be refused, with the store unchanged. */
async function refusedUnchanged(request: () => Promise<unknown>): Promise<SkyfleetError> {
  const before = snapshot();
  const error = await request().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SkyfleetError);
  expect(snapshot()).toBe(before);
  return error as SkyfleetError;
}

const image = (img: string) => ({ containers: [{ name: 'web', image: img, ports: [{ containerPort: 8080 }] }] });

describe('a rejected request changes nothing', () => {
  it('maxSurge 0 with maxUnavailable 0 on an update of a running deployment', async () => {
    const e = await refusedUnchanged(() =>
      fleet.apply(
        web({
          template: image('img:2'),
          strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } },
        }),
      ),
    );
    expect(e.message).toContain('cannot both be 0');
    expect((await fleet.status('web')).revision).toBe((await fleet.get('web'))!.revision);
    expect((await fleet.history('web')).map((h) => h.number)).toEqual([1]);
  });

  it('an unknown target, a missing secret, a placement no target can hold', async () => {
    expect(
      (await refusedUnchanged(() => fleet.apply(web({ placement: { targets: [{ name: 'azure' }] } })))).message,
    ).toContain('target "azure" is not in fleet admit');
    const secret = await refusedUnchanged(() =>
      fleet.apply(
        web({
          template: {
            containers: [
              {
                name: 'web',
                image: 'img:2',
                env: [{ name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'api', key: 'token' } } }],
              },
            ],
          },
        }),
      ),
    );
    expect(secret.message).toMatch(/api/);
    const placement = await refusedUnchanged(() =>
      fleet.apply(web({ placement: { targets: [{ name: 'aws', max: 1 }] } }, 'api')),
    );
    expect(placement.code).toBe('placement_unresolvable');
  });

  it('scale past the spec limit, or to a count that is not one', async () => {
    for (const n of [100_001, 1_000_000_000, -1, 1.5]) {
      const e = await refusedUnchanged(() => fleet.scale('web', n));
      expect(e.code).toBe('invalid_input');
    }
    expect((await fleet.get('web'))?.spec.spec.replicas).toBe(4);
  });

  it('property: any request made invalid by one mutation is refused and leaves the store as it was', async () => {
    const mutations: Array<[string, (d: DeploymentInput) => DeploymentInput]> = [
      ['replicas over the limit', (d) => ({ ...d, spec: { ...d.spec, replicas: 100_001 } })],
      ['negative replicas', (d) => ({ ...d, spec: { ...d.spec, replicas: -3 } })],
      ['an unknown field', (d) => ({ ...d, spec: { ...d.spec, replica: 3 } as never })],
      ['no containers', (d) => ({ ...d, spec: { ...d.spec, template: { containers: [] } } })],
      [
        'a port out of range',
        (d) => ({
          ...d,
          spec: {
            ...d.spec,
            template: { containers: [{ name: 'web', image: 'img:3', ports: [{ containerPort: 70_000 }] }] },
          },
        }),
      ],
      ['an unknown target', (d) => ({ ...d, spec: { ...d.spec, placement: { targets: [{ name: 'nowhere' }] } } })],
      [
        'a zero budget',
        (d) => ({
          ...d,
          spec: { ...d.spec, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } } },
        }),
      ],
      ['a bad name', (d) => ({ ...d, metadata: { name: 'Not_A_Name' } })],
      ['an unknown strategy', (d) => ({ ...d, spec: { ...d.spec, strategy: { type: 'Blue' } as never } })],
      [
        'more cpu than any target',
        (d) => ({
          ...d,
          spec: { ...d.spec, template: { containers: [{ name: 'web', image: 'img:3', resources: { cpu: '64' } }] } },
        }),
      ],
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...mutations),
        fc.integer({ min: 1, max: 20 }),
        fc.constantFrom('web', 'fresh'),
        async ([, mutate], replicas, name) => {
          const bad = mutate(web({ replicas, template: image(`img:${replicas}`) }, name));
          await refusedUnchanged(() => fleet.apply(bad));
        },
      ),
      { numRuns: 60 },
    );
  }, 60_000);
});

describe('the CLI', () => {
  const sf = (...args: string[]) => skyfleet(process.cwd(), ...args);
  const doc = (name: string, extra = '') => `apiVersion: skyfleet.dev/v1
kind: Deployment
metadata: { name: ${name} }
spec:
  replicas: 0
  template: { containers: [{ name: web, image: "img:1" }] }
${extra}`;

  it('a multi-document file whose second document is invalid applies nothing; delete web web deletes once', async () => {
    const cli = mkdtempSync(join(tmpdir(), 'skyfleet-admit-cli-'));
    try {
      const fleetDoc = `apiVersion: skyfleet.dev/v1\nkind: Fleet\nmetadata: { name: cli }\ntargets: [{ name: lab, kind: memory }]\nstore: { path: state.db }\n`;
      writeFileSync(join(cli, 'skyfleet.yaml'), fleetDoc);
      writeFileSync(join(cli, 'first.yaml'), doc('first'));
      const config = ['--config', join(cli, 'skyfleet.yaml')];
      const first = await sf(...config, 'apply', '-f', join(cli, 'first.yaml'));
      expect(first.stdout).toContain('deployment/first created');
      const db = join(cli, 'state.db');
      const rows = () => {
        const d = new Database(db, { readonly: true });
        try {
          return JSON.stringify([
            d.prepare('SELECT * FROM deployments').all(),
            d.prepare('SELECT * FROM revisions').all(),
            d.prepare('SELECT * FROM events').all(),
            d.prepare('SELECT * FROM fleet').all(),
          ]);
        } finally {
          d.close();
        }
      };
      const before = rows();
      for (const second of [
        doc('api', '  placement: { targets: [{ name: nowhere }] }\n'),
        doc('api', '  strategy: { type: RollingUpdate, rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } }\n'),
      ]) {
        writeFileSync(join(cli, 'two.yaml'), `${doc('web')}---\n${second}`);
        const r = await sf(...config, 'apply', '-f', join(cli, 'two.yaml'));
        expect(r.code).toBe(2);
        expect(rows()).toBe(before);
      }
      const del = await sf(...config, 'delete', 'first', 'first');
      expect(del.code).toBe(0);
      expect(del.stdout.trim().split('\n')).toEqual(['deployment/first deleted (0 replicas removed)']);
      const ttl = await sf(...config, 'controller', '--lease-ttl', '1ms');
      expect(ttl.code).toBe(2);
      expect(ttl.stderr).toContain('--lease-ttl');
    } finally {
      rmSync(cli, { recursive: true, force: true });
    }
  }, 120_000);
});
