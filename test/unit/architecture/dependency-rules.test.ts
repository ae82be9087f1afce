import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The dependency rules of docs/DESIGN.md, checked over the TypeScript sources of src/ and
// providers/ (static imports, re-exports and dynamic `import()`, type-only ones included: a
// type import still ties one folder's design to another's).

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
/** The one place in src/ that lists the built-in providers. */
const COMPOSITION = 'src/builtin-providers.ts';

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sources(join(dir, e.name))
      : (e.name.endsWith('.ts') || e.name.endsWith('.tsx')) && !e.name.endsWith('.d.ts')
        ? [join(dir, e.name)]
        : [],
  );
}

const SPECIFIER =
  /(?:^|[\s;])(?:import|export)\s(type\s)?([^'"`;]*?)from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^import\s+['"]([^'"]+)['"]/gm;

interface Import {
  file: string;
  /** Only types are imported: erased at run time, so no part of a run-time cycle. */
  typeOnly: boolean;
}

/** The repository-relative files a source imports (packages and node: builtins left out). */
function importsOf(file: string, text: string): Import[] {
  const out: Import[] = [];
  for (const m of text.matchAll(SPECIFIER)) {
    const spec = m[3] ?? m[4] ?? m[5];
    if (!spec?.startsWith('.')) continue;
    const clause = m[2] ?? '';
    const braces = /^\s*\{([^}]*)\}\s*$/.exec(clause)?.[1];
    const names =
      braces
        ?.split(',')
        .map((x) => x.trim())
        .filter(Boolean) ?? [];
    const typeOnly = !!m[1] || (names.length > 0 && names.every((x) => x.startsWith('type ')));
    out.push({ file: relative(ROOT, resolve(ROOT, dirname(file), spec)).replace(/\.js$/, '.ts'), typeOnly });
  }
  return out;
}

/** Every import of every source: type-only ones too, for the folder rules. */
function graph(): Map<string, Import[]> {
  const files = [...sources('src'), ...sources('providers'), ...sources('emulators'), ...sources('dashboard/src')];
  return new Map(files.map((f) => [f, importsOf(f, readFileSync(join(ROOT, f), 'utf8'))]));
}

const files = (g: ReadonlyMap<string, readonly Import[]>, runtimeOnly: boolean): Map<string, string[]> =>
  new Map([...g].map(([f, deps]) => [f, deps.filter((d) => !runtimeOnly || !d.typeOnly).map((d) => d.file)]));

/**
 * Every import cycle, as its files (Tarjan's strongly connected components of more than one file,
 * or a self-import).
 */
function cycles(g: ReadonlyMap<string, readonly string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of g.get(v) ?? []) {
      if (!g.has(w)) continue;
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (g.get(v) ?? []).includes(v)) out.push(scc.sort());
    }
  };
  for (const v of g.keys()) if (!idx.has(v)) visit(v);
  return out;
}

const folderOf = (f: string) => f.split('/').slice(0, 2).join('/');

/** Each rule: files it applies to, imports it forbids, and why. */
const RULES: Array<{ name: string; from: (f: string) => boolean; to: (f: string, from: string) => boolean }> = [
  {
    name: `src/ imports providers/ only in ${COMPOSITION}`,
    from: (f) => f.startsWith('src/') && f !== COMPOSITION,
    to: (t) => t.startsWith('providers/'),
  },
  {
    name: 'a provider imports no other provider',
    from: (f) => f.startsWith('providers/'),
    to: (t, f) => t.startsWith('providers/') && folderOf(t) !== folderOf(f),
  },
  {
    name: 'a provider imports neither the reconciler nor the CLI (nor the composition place)',
    from: (f) => f.startsWith('providers/'),
    to: (t) => t.startsWith('src/reconcile/') || t.startsWith('src/cli/') || t === COMPOSITION || t === 'src/fleet.ts',
  },
  {
    name: 'placement, plan, rollout and autoscaling (pure) import neither the store nor a provider',
    from: (f) => /^src\/(placement|plan|rollout|autoscaling)\//.test(f),
    to: (t) => t.startsWith('src/store/') || t.startsWith('providers/') || t.startsWith('src/reconcile/'),
  },
  {
    name: 'import (pure conversion of Kubernetes and Compose files) imports neither the store, the reconciler, a provider nor the CLI',
    from: (f) => f.startsWith('src/import/'),
    to: (t) =>
      t.startsWith('src/store/') ||
      t.startsWith('src/reconcile/') ||
      t.startsWith('src/cli/') ||
      t.startsWith('providers/') ||
      t === COMPOSITION ||
      t === 'src/fleet.ts',
  },
  {
    name: 'sync (continuous deployment) drives a fleet through the calls apply makes: it imports neither the reconciler, a provider, the facade, the CLI nor the server',
    from: (f) => f.startsWith('src/sync/'),
    to: (t) =>
      t.startsWith('src/reconcile/') ||
      t.startsWith('src/cli/') ||
      t.startsWith('src/server/') ||
      t.startsWith('src/operations/') ||
      t.startsWith('providers/') ||
      t === COMPOSITION ||
      t === 'src/fleet.ts',
  },
  {
    name: 'the provider contract imports no provider and nothing that drives it',
    from: (f) => f.startsWith('src/provider/'),
    to: (t) =>
      t.startsWith('providers/') || t.startsWith('src/reconcile/') || t.startsWith('src/cli/') || t === COMPOSITION,
  },
  {
    name: 'the API server is a composition root: only the CLI imports it',
    from: (f) => f.startsWith('src/') && !f.startsWith('src/server/') && !f.startsWith('src/cli/'),
    to: (t) => t.startsWith('src/server/'),
  },
  {
    name: 'the API server imports neither the CLI nor a provider',
    from: (f) => f.startsWith('src/server/'),
    to: (t) => t.startsWith('src/cli/') || t.startsWith('providers/') || t === COMPOSITION,
  },
  {
    name: 'the remote client speaks HTTP only: no server, store (but its record types), reconciler, provider or CLI',
    from: (f) => f.startsWith('src/remote/'),
    to: (t) =>
      t.startsWith('src/server/') ||
      (t.startsWith('src/store/') && t !== 'src/store/store.ts') ||
      t.startsWith('src/cli/') ||
      t.startsWith('providers/') ||
      t === COMPOSITION ||
      (t.startsWith('src/reconcile/') && !t.endsWith('/converge.ts') && !t.endsWith('/progress.ts')),
  },
  {
    name: 'the emulators stand in for the clouds: they import nothing of skyfleet but its utilities (the clock)',
    from: (f) => f.startsWith('emulators/'),
    to: (t) => !t.startsWith('emulators/') && !t.startsWith('src/util/'),
  },
  {
    name: 'only the CLI (`skyfleet emulate`, a composition root) imports the emulators',
    from: (f) => f.startsWith('src/') && !f.startsWith('src/cli/'),
    to: (t) => t.startsWith('emulators/'),
  },
  {
    name: 'the dashboard is a client of the HTTP API: it imports nothing of src/ or providers/',
    from: (f) => f.startsWith('dashboard/'),
    to: (t) => t.startsWith('src/') || t.startsWith('providers/'),
  },
];

function violations(g: ReadonlyMap<string, readonly string[]>): string[] {
  const out: string[] = [];
  for (const [f, deps] of g)
    for (const rule of RULES)
      if (rule.from(f)) for (const t of deps) if (rule.to(t, f)) out.push(`${rule.name}: ${f} -> ${t}`);
  return out;
}

describe('dependency rules', () => {
  const all = graph();
  const g = files(all, false);

  it('reads the sources it checks', () => {
    expect(g.size).toBeGreaterThan(100);
    expect(g.has(COMPOSITION)).toBe(true);
    // the parser sees every kind of import it must, and which carry only types
    const text = [
      "import type { A } from './a.js';",
      "export { b } from '../b/b.js';",
      "const c = await import('./c.js');",
      "import { type D, type E } from './d.js';",
      "import { type F, g } from './f.js';",
    ].join('\n');
    expect(importsOf('src/x.ts', text)).toEqual([
      { file: 'src/a.ts', typeOnly: true },
      { file: 'b/b.ts', typeOnly: false },
      { file: 'src/c.ts', typeOnly: false },
      { file: 'src/d.ts', typeOnly: true },
      { file: 'src/f.ts', typeOnly: false },
    ]);
  });

  it('no folder imports what its rules forbid', () => {
    expect(violations(g)).toEqual([]);
  });

  it('no run-time import cycle (type-only imports are erased: two halves of one connection may name each other)', () => {
    expect(cycles(files(all, true))).toEqual([]);
  });

  it('the checks fail on a forbidden import and on a cycle', () => {
    const bad = new Map(g);
    bad.set('src/plan/plan-step.ts', [...(g.get('src/plan/plan-step.ts') ?? []), 'src/store/store.ts']);
    bad.set('providers/docker/provider.ts', [
      ...(g.get('providers/docker/provider.ts') ?? []),
      'providers/memory/provider.ts',
    ]);
    bad.set('src/fleet.ts', [...(g.get('src/fleet.ts') ?? []), 'providers/docker/provider.ts', 'src/server/index.ts']);
    bad.set('src/remote/x.ts', ['src/store/sqlite-store.ts']);
    bad.set('src/sync/x.ts', ['src/fleet.ts']);
    bad.set('dashboard/src/x.tsx', ['src/server/roles.ts']);
    bad.set('emulators/aws-ecs/x.ts', ['providers/aws-ecs/mapping.ts']);
    bad.set('src/reconcile/x.ts', ['emulators/aws-ecs/ecs-emulator.ts']);
    const before = new Set(violations(g));
    expect(violations(bad).filter((v) => !before.has(v))).toHaveLength(9);
    bad.set('src/util/clock.ts', ['src/util/pool.ts']);
    bad.set('src/util/pool.ts', ['src/util/clock.ts']);
    expect(cycles(bad)).toContainEqual(['src/util/clock.ts', 'src/util/pool.ts']);
    expect(cycles(new Map([['a.ts', ['a.ts']]]))).toEqual([['a.ts']]);
  });
});
