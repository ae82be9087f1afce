// Real-world files (../shared/corpus: kubernetes/examples manifests and docker/awesome-compose
// files, unchanged): each converts without a crash, each warning names a path that exists in its
// input, and what converts is a valid skyfleet spec.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { convertText, formatWarning, loadInput } from '../../../src/import/index.js';
import { CORPUS, corpusFiles, resolves } from './corpus-files.js';

const files = corpusFiles();

describe('the corpus', () => {
  it('is there: Kubernetes manifests and Compose files', () => {
    expect(files.filter(([n]) => n.startsWith('kubernetes-examples/')).length).toBeGreaterThanOrEqual(20);
    expect(files.filter(([n]) => n.startsWith('awesome-compose/')).length).toBeGreaterThanOrEqual(15);
  });

  it.each(files)(
    '%s: converts, every warning names a real path of the input, the result is a valid skyfleet spec',
    (name, path) => {
      const text = readFileSync(path, 'utf8');
      const result = convertText(text, { source: name });
      expect(result.format).toBe(name.startsWith('awesome-compose/') ? 'compose' : 'kubernetes');
      const unresolved = result.warnings.filter((w) => !resolves(text, w)).map(formatWarning);
      expect(unresolved).toEqual([]);
      for (const w of result.warnings) expect(w.message.length).toBeGreaterThan(20);
      // what converts validates (and loads as apply would take it)
      const loaded = loadInput(text, name);
      expect(loaded.deployments.map((d) => d.metadata.name)).toEqual(
        result.documents.map((d) => (d.metadata as { name: string }).name),
      );
    },
  );

  it('converts what it supports: the Deployments of the manifests and the services with an image', () => {
    const total = (prefix: string) =>
      files
        .filter(([n]) => n.startsWith(prefix))
        .reduce((a, [n, p]) => a + convertText(readFileSync(p, 'utf8'), { source: n }).documents.length, 0);
    expect(total('kubernetes-examples/')).toBeGreaterThanOrEqual(9);
    expect(total('awesome-compose/')).toBeGreaterThanOrEqual(20);
  });

  it('names the kinds it does not run, with what skyfleet would need', () => {
    const [name, path] = files.find(([n]) => n.endsWith('cassandra-statefulset.yaml'))!;
    const r = convertText(readFileSync(path, 'utf8'), { source: name });
    expect(r.documents).toEqual([]);
    const statefulSet = r.warnings.find((w) => w.message.includes('kind StatefulSet'));
    expect(statefulSet?.path).toEqual(['kind']);
    expect(statefulSet?.message).toContain('persistent volumes');
  });
});

describe('golden outputs', () => {
  const GOLDEN = join(dirname(fileURLToPath(import.meta.url)), 'golden');
  const cases = [
    'kubernetes-examples/web_guestbook_all-in-one_guestbook-all-in-one.yaml',
    'kubernetes-examples/AI_vllm-deployment_vllm-deployment.yaml',
    'awesome-compose/nginx-flask-mysql.yaml',
    'awesome-compose/elasticsearch-logstash-kibana.yaml',
    'awesome-compose/wordpress-mysql.yaml',
  ];
  it.each(cases)('%s', async (name) => {
    const { convertedYaml } = await import('../../../src/import/index.js');
    const text = readFileSync(join(CORPUS, name), 'utf8');
    const out = convertedYaml(convertText(text, { source: name }), name);
    const golden = join(GOLDEN, `${name.split('/')[1]!.replace(/\.yaml$/, '')}.golden.yaml`);
    if (process.env.UPDATE_GOLDEN) {
      const { writeFileSync } = await import('node:fs');
      writeFileSync(golden, out);
    }
    expect(out).toBe(readFileSync(golden, 'utf8'));
  });
});
