import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, harness, web } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await harness({ maxBodyBytes: 4096 });
});
afterAll(() => h.close());

const D = '/api/v1/deployments';

async function error(res: Response) {
  const body = (await res.json()) as {
    error: { code: string; message: string; fields: Array<{ path: string; message: string }> };
  };
  return { status: res.status, ...body.error };
}

describe('bad input is refused with a JSON error, and nothing changes', () => {
  it.each<[string, () => Promise<Response>, number, string, RegExp | undefined]>([
    ['malformed JSON', () => h.request('POST', D, { body: '{"kind": ' }), 400, 'invalid_input', /malformed JSON/],
    [
      'malformed YAML',
      () => h.request('POST', D, { body: 'kind: [unclosed', type: 'application/yaml' }),
      400,
      'invalid_input',
      /YAML syntax/,
    ],
    [
      'an unknown field',
      () => h.request('POST', D, { body: { ...web(), spec: { ...web().spec, replicaz: 3 } } }),
      400,
      'invalid_input',
      /replicaz/,
    ],
    [
      'a wrong content type',
      () => h.request('POST', D, { body: 'x', type: 'text/plain' }),
      415,
      'unsupported_media_type',
      undefined,
    ],
    [
      'an oversized body',
      () => h.request('POST', D, { body: `# ${'x'.repeat(5000)}\n${stringify(web())}`, type: 'application/yaml' }),
      413,
      'payload_too_large',
      undefined,
    ],
    ['an unknown resource', () => h.request('GET', '/api/v1/widgets'), 404, 'not_found', undefined],
    ['a method not allowed', () => h.request('PATCH', `${D}/web`), 405, 'method_not_allowed', undefined],
    [
      'a scale body with an unknown field',
      () => h.request('POST', `${D}/web/scale`, { body: { replicas: 2, force: true } }),
      400,
      'invalid_input',
      /force/,
    ],
  ])('%s', async (_what, send, status, code, field) => {
    const e = await error(await send());
    expect(e).toMatchObject({ status, code });
    expect(e.message).toBeTruthy();
    if (field) expect(JSON.stringify(e.fields)).toMatch(field);
    expect(await h.store.listDeployments()).toEqual([]);
  });

  it('a multi-document apply with one bad document writes none of them', async () => {
    const good = stringify(web('img:1', 2, 'good'));
    const bad = stringify({ ...web('img:1', 2, 'bad'), spec: { ...web().spec, replicas: -1 } });
    const e = await error(await h.request('POST', D, { body: `${good}---\n${bad}`, type: 'application/yaml' }));
    expect(e.status).toBe(400);
    expect(e.fields.map((f) => f.path).join(' ')).toMatch(/document 2: spec\.replicas/);
    expect(await h.store.listDeployments()).toEqual([]);
  });

  it('405 names the methods allowed', async () => {
    const res = await h.request('PATCH', `${D}/web`);
    expect(res.headers.get('allow')).toBe('PUT, GET, DELETE');
  });
});

describe('secrets', () => {
  it('secret references are redacted in what the API returns, and secret values never appear', async () => {
    const res = await h.request('POST', D, { body: web() });
    const text = await res.text();
    expect(res.status, text).toBe(200);
    for (const path of [`${D}/web`, D, `${D}/web/history`, `${D}/web/describe`]) {
      const body = await (await h.request('GET', path)).text();
      expect(body).not.toContain('hunter2');
      expect(body, path).not.toContain('"password"');
      expect(body, path).toContain('(redacted)');
    }
    // the store keeps the reference itself (the controller needs it)
    expect(JSON.stringify((await h.store.getDeployment('web'))?.spec)).toContain('"password"');
    const audit = JSON.stringify(await h.store.listAudit());
    expect(audit).not.toContain('hunter2');
    expect(audit).not.toMatch(/sft_/);
  });
});
