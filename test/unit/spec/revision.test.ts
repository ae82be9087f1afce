import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDeployment } from '../../../src/spec/load.js';
import { canonicalJson, revisionOf } from '../../../src/spec/revision.js';

const tpl = (image: string, env: Record<string, string> = {}) =>
  parseDeployment({
    apiVersion: 'skyfleet.dev/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: {
      template: {
        containers: [{ name: 'web', image, env: Object.entries(env).map(([name, value]) => ({ name, value })) }],
      },
    },
  }).spec.template;

describe('revision hash', () => {
  it('is a stable 10-hex-digit hash of the template (pinned: a change here re-rolls every user deployment)', () => {
    expect(revisionOf(tpl('hello/web:1'))).toMatch(/^[0-9a-f]{10}$/);
    expect(revisionOf(tpl('hello/web:1'))).toBe('73b703cfcd');
  });

  it('does not depend on key order', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ minLength: 1, maxLength: 5 }), fc.jsonValue(), { maxKeys: 8 }), (obj) => {
        const reversed = Object.fromEntries(Object.entries(obj).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(obj));
      }),
    );
  });

  it('changes when anything in the template changes', () => {
    const a = revisionOf(tpl('hello/web:1', { MODE: 'prod' }));
    expect(revisionOf(tpl('hello/web:2', { MODE: 'prod' }))).not.toBe(a);
    expect(revisionOf(tpl('hello/web:1', { MODE: 'dev' }))).not.toBe(a);
    expect(revisionOf(tpl('hello/web:1', { MODE: 'prod' }))).toBe(a);
  });

  it('ignores replicas, placement and strategy (they do not make a new revision)', () => {
    const d = (replicas: number) =>
      parseDeployment({
        apiVersion: 'skyfleet.dev/v1',
        kind: 'Deployment',
        metadata: { name: 'w' },
        spec: { replicas, template: { containers: [{ name: 'w', image: 'x' }] } },
      });
    expect(revisionOf(d(1).spec.template)).toBe(revisionOf(d(9).spec.template));
  });
});
