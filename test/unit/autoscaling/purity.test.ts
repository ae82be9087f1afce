import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The autoscaler's core is pure, like placement, plan and rollout: time comes in as numbers and
// state as a value, so it imports only the spec's types and the error taxonomy; no store,
// provider, reconciler, traffic, clock or I/O. (test/unit/architecture checks the same rule for
// the pure folders over the whole tree.)

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const DIR = 'src/autoscaling';
const ALLOWED = ['src/autoscaling/', 'src/spec/', 'src/errors/'];

function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(/(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map(
    (m) => (m[1] ?? m[2])!,
  );
}

describe('src/autoscaling is pure', () => {
  const files = readdirSync(join(ROOT, DIR))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => `${DIR}/${f}`);

  it('reads its sources', () => {
    expect(files).toContain('src/autoscaling/decide.ts');
    expect(importsOf('src/autoscaling/decide.ts').length).toBeGreaterThan(3);
  });

  it.each(files)('%s imports only the spec, the errors and its own folder, and no package', (file) => {
    for (const spec of importsOf(file)) {
      expect(spec.startsWith('.'), `${file} imports the package ${spec}`).toBe(true);
      const target = relative(ROOT, resolve(ROOT, dirname(file), spec));
      expect(
        ALLOWED.some((a) => target.startsWith(a)),
        `${file} imports ${target}`,
      ).toBe(true);
    }
  });

  it('keeps every file under ~300 lines', () => {
    for (const f of files) expect(readFileSync(join(ROOT, f), 'utf8').split('\n').length, f).toBeLessThanOrEqual(300);
  });
});
