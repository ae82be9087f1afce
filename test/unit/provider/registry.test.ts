import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  type ApplyResult,
  builtinProviders,
  createFleet,
  type DesiredSlice,
  type Fleet,
  jsonSchemas,
  loadDocuments,
  ManualClock,
  MemoryCallLog,
  type ObservedSlice,
  type Provider,
  type ProviderContext,
  type ProviderDescriptor,
  ProviderRegistry,
  registerProvider,
  type SliceKey,
  type SliceSelector,
  type TargetDescription,
  targetBase,
  ValidationError,
  zoneName,
} from '../../../src/index.js';

// A provider skyfleet does not ship, defined here the way a user would: a settings schema, a tiny
// implementation of the Provider contract (slices in a Map, every replica ready at once), and a
// descriptor. After registerProvider, Fleet documents and createFleet({ targets }) may declare it.

const mySettings = z.strictObject({
  ...targetBase,
  kind: z.literal('my-kind'),
  zones: z.array(zoneName).min(1).default(['z1']),
  /** Replicas this target holds per zone. */
  capacity: z.number().int().positive().default(100),
});
type MySettings = z.output<typeof mySettings>;

class TinyProvider implements Provider {
  readonly kind = 'my-kind';
  readonly target: string;
  readonly slices = new Map<string, { key: SliceKey; replicas: number }>();

  constructor(
    readonly settings: MySettings,
    readonly ctx: ProviderContext,
  ) {
    this.target = settings.name;
  }

  describe(): TargetDescription {
    return {
      target: this.target,
      kind: this.kind,
      topology: { provider: 'tiny', region: 'here', zones: [...this.settings.zones] },
      capabilities: {
        maxCpuMillis: 4000,
        maxMemoryMiB: 8192,
        maxPorts: 8,
        maxContainers: 4,
        probes: ['httpGet', 'tcpSocket', 'exec'],
        nativeTrafficSplit: false,
        scaleToZero: true,
        nativeAutoscaling: false,
        publicEndpoints: false,
        gpu: false,
      },
      maxReplicasPerZone: this.settings.capacity,
    };
  }

  async observe(selector: SliceSelector): Promise<ObservedSlice[]> {
    return [...this.slices.values()]
      .filter(
        (s) => s.key.fleet === selector.fleet && (!selector.deployment || s.key.deployment === selector.deployment),
      )
      .map((s) => ({
        key: { ...s.key },
        target: this.target,
        replicas: s.replicas,
        ready: s.replicas,
        revision: s.key.revision,
        replicaStatus: Array.from({ length: s.replicas }, (_, i) => ({
          id: `${id(s.key)}/${i}`,
          name: `${s.key.deployment}-${i}`,
          ordinal: i,
          state: 'ready' as const,
          ready: true,
          endpoints: [],
        })),
      }));
  }

  async apply(slice: DesiredSlice): Promise<ApplyResult> {
    const current = this.slices.get(id(slice.key));
    if (current?.replicas === slice.replicas) return { changed: false, writes: 0 };
    this.slices.set(id(slice.key), { key: { ...slice.key }, replicas: slice.replicas });
    return { changed: true, writes: 1 };
  }

  async remove(key: SliceKey): Promise<ApplyResult> {
    const existed = this.slices.delete(id(key));
    return { changed: existed, writes: existed ? 1 : 0 };
  }
}

const id = (k: SliceKey) => `${k.fleet}/${k.deployment}/${k.revision}/${k.zone}`;

/** Every provider the descriptor made, with the context it was given. */
const made: TinyProvider[] = [];
const myProvider: ProviderDescriptor<typeof mySettings> = {
  specificationVersion: 'v1',
  kind: 'my-kind',
  settings: mySettings,
  create: async (settings, ctx) => {
    const p = new TinyProvider(settings, ctx);
    made.push(p);
    return p;
  },
};

const web = (replicas: number) => ({
  apiVersion: 'skyfleet.dev/v1' as const,
  kind: 'Deployment' as const,
  metadata: { name: 'web' },
  spec: { replicas, template: { containers: [{ name: 'web', image: 'hello/web:1' }] } },
});

const BUILTIN_KINDS = 'memory, docker, aws-ecs, azure-aci, gcp-cloud-run';

function validationError(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ValidationError) return e;
    throw e;
  }
  throw new Error('expected a ValidationError');
}

const fleetYaml = (targets: string) => `apiVersion: skyfleet.dev/v1
kind: Fleet
metadata: { name: tiny }
targets:
${targets}
`;

describe('a provider registered from outside', () => {
  beforeAll(() => {
    registerProvider(myProvider);
  });

  let fleet: Fleet | undefined;
  afterEach(async () => {
    await fleet?.close();
    fleet = undefined;
    made.length = 0;
  });

  it('is declared in a YAML Fleet document, validated with its own schema, and applied to', async () => {
    const { fleet: spec } = loadDocuments(
      fleetYaml('  - { name: lab, kind: my-kind, zones: [z1, z2] }\n  - { name: local, kind: memory }'),
    );
    expect(spec?.targets[0]).toEqual({ name: 'lab', kind: 'my-kind', zones: ['z1', 'z2'], capacity: 100 });
    expect(spec?.targets[1]).toMatchObject({ name: 'local', kind: 'memory', zones: ['a'] });

    fleet = createFleet({
      name: spec!.metadata.name,
      targets: spec!.targets.filter((t) => t.kind === 'my-kind'),
      store: ':memory:',
    });
    const first = await fleet.apply(web(4), { pollIntervalMs: 1 });
    expect(first.progress.ready).toBe(4);
    expect(made).toHaveLength(1);
    const [lab] = made;
    expect(lab!.settings).toEqual({ name: 'lab', kind: 'my-kind', zones: ['z1', 'z2'], capacity: 100 });
    expect([...lab!.slices.values()].map((s) => [s.key.zone, s.replicas])).toEqual([
      ['z1', 2],
      ['z2', 2],
    ]);
    expect((await fleet.apply(web(4))).writes).toBe(0);
    expect((await fleet.status('web')).ready).toBe(4);
  });

  it('is declared in createFleet({ targets }), made with the fleet, clock, call log and secret resolver as context', async () => {
    const clock = new ManualClock();
    const callLog = new MemoryCallLog();
    const secrets = () => 'value';
    fleet = createFleet({
      name: 'tiny',
      targets: [{ name: 'lab', kind: 'my-kind', capacity: 1 }],
      store: ':memory:',
      clock,
      callLog,
      secrets,
    });
    const providers = await fleet.providers();
    expect(providers.get('lab')).toBe(made[0]);
    expect(made[0]!.settings).toEqual({ name: 'lab', kind: 'my-kind', zones: ['z1'], capacity: 1 });
    expect(made[0]!.ctx).toEqual({ fleet: 'tiny', clock, callLog, secrets });
    // capacity 1 in its only zone: placement reads the provider's description
    const res = await fleet.apply(web(1), { pollIntervalMs: 1 });
    expect(res.progress.ready).toBe(1);
    expect([...made[0]!.slices.values()].map((s) => s.replicas)).toEqual([1]);
  });

  it('rejects a bad setting with a ValidationError naming the field, in YAML and in createFleet', () => {
    const yaml = validationError(() => loadDocuments(fleetYaml('  - { name: lab, kind: my-kind, capacity: lots }')));
    expect(yaml.issues).toEqual([
      { path: 'targets[0].capacity', message: 'expected number, received string, got "lots"' },
    ]);

    const ts = validationError(() =>
      createFleet({ name: 'tiny', targets: [{ name: 'lab', kind: 'my-kind', zone: ['z1'] }], store: ':memory:' }),
    );
    expect(ts.issues).toHaveLength(1);
    expect(ts.issues[0]!.path).toBe('targets[0].zone');
    expect(ts.issues[0]!.message).toMatch(/^unknown field \(did you mean "zones"\?\); allowed: .*capacity/);
    expect(made).toHaveLength(0);
  });

  it('still rejects an unknown kind, naming the built-in and the registered kinds', () => {
    const expected = `expected kind one of: ${BUILTIN_KINDS}, my-kind, got "my-knid"`;
    const yaml = validationError(() => loadDocuments(fleetYaml('  - { name: lab, kind: my-knid }')));
    expect(yaml.issues).toEqual([{ path: 'targets[0].kind', message: expected }]);
    const ts = validationError(() =>
      createFleet({ name: 'tiny', targets: [{ name: 'lab', kind: 'my-knid' }], store: ':memory:' }),
    );
    expect(ts.issues).toEqual([{ path: 'targets[0].kind', message: expected }]);
  });

  it('is in the JSON Schema of the Fleet document (`skyfleet schema`)', () => {
    const text = JSON.stringify(jsonSchemas().Fleet);
    for (const kind of ['memory', 'docker', 'aws-ecs', 'azure-aci', 'gcp-cloud-run', 'my-kind']) {
      expect(text).toContain(`"const":"${kind}"`);
    }
    expect(text).toContain('"capacity"');
  });
});

describe('ProviderRegistry', () => {
  it('knows only what it was given: an unregistered kind is an error listing the known ones', async () => {
    const registry = new ProviderRegistry(builtinProviders);
    const res = registry.targetSchema().safeParse({ name: 'lab', kind: 'my-kind' });
    expect(res.success).toBe(false);
    expect(res.error?.issues[0]).toMatchObject({ path: ['kind'], message: `expected kind one of: ${BUILTIN_KINDS}` });
    await expect(registry.create({ kind: 'my-kind' }, { fleet: 'f' })).rejects.toThrow(
      `kind: expected kind one of: ${BUILTIN_KINDS}, got "my-kind"`,
    );
  });

  it('creates a provider from its settings as written, with its defaults, or names the bad field', async () => {
    const registry = new ProviderRegistry([myProvider]);
    expect(registry.kinds()).toEqual(['my-kind']);
    const p = await registry.create({ kind: 'my-kind', name: 'lab' }, { fleet: 'f' });
    expect(p).toBeInstanceOf(TinyProvider);
    expect((p as TinyProvider).settings).toEqual({ name: 'lab', kind: 'my-kind', zones: ['z1'], capacity: 100 });
    await expect(registry.create({ kind: 'my-kind', name: 'lab', capacity: 0 }, { fleet: 'f' })).rejects.toThrow(
      /capacity: /,
    );
  });

  it('refuses a descriptor of another specification version or whose schema is of another kind', () => {
    const registry = new ProviderRegistry();
    const v2 = { ...myProvider, specificationVersion: 'v2' } as unknown as ProviderDescriptor;
    expect(() => registry.register(v2)).toThrow('"my-kind" implements specification "v2"; this skyfleet supports v1');
    const other = { ...myProvider, kind: 'other' } as unknown as ProviderDescriptor; // a type error too
    expect(() => registry.register(other)).toThrow(
      'the settings schema of "other" must declare kind: z.literal("other")',
    );
    expect(registry.kinds()).toEqual([]);
  });
});
