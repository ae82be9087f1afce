import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type CallLogEntry,
  FileCallLog,
  MemoryCallLog,
  redactBody,
  redactHeaders,
  TeeCallLog,
  teeCallLogs,
  withEnvCallLog,
} from '../../../src/calllog/index.js';

const dir = mkdtempSync(join(tmpdir(), 'skyfleet-calllog-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const entry = (body: unknown, headers: Record<string, string> = {}): CallLogEntry => ({
  time: '2026-01-01T00:00:00.000Z',
  cloud: 'azure-aci',
  target: 'azure',
  method: 'PUT',
  url: 'https://management.azure.com/x',
  headers,
  body,
  status: 200,
  durationMs: 1,
  deployment: 'web',
  reason: 'create',
});

describe('redaction', () => {
  it('headers carrying credentials', () => {
    expect(
      redactHeaders({
        Authorization: 'Bearer x',
        'X-Amz-Security-Token': 't',
        Cookie: 'c',
        'x-ms-client-request-id': 'id',
      }),
    ).toEqual({
      authorization: '<redacted>',
      'x-amz-security-token': '<redacted>',
      cookie: '<redacted>',
      'x-ms-client-request-id': 'id',
    });
  });

  it('secret fields (camelCase and snake_case) and any string containing a secret value', () => {
    expect(
      redactBody(
        {
          env: [
            { name: 'A', secureValue: 's1' },
            { name: 'B', value: 'prefix-hunter22-suffix' },
          ],
          client_secret: 'c',
          refresh_token: 'r',
          keep: 'plain',
        },
        ['hunter22'],
      ),
    ).toEqual({
      env: [
        { name: 'A', secureValue: '<redacted>' },
        { name: 'B', value: '<redacted>' },
      ],
      client_secret: '<redacted>',
      refresh_token: '<redacted>',
      keep: 'plain',
    });
  });
});

describe('logs', () => {
  it('TeeCallLog hands the secret values on to each log, so each redacts them', () => {
    const a = new MemoryCallLog();
    const file = join(dir, 'tee.jsonl');
    new TeeCallLog([a, new FileCallLog(file)]).record(entry({ v: 'x-hunter22' }), ['hunter22']);
    expect(a.entries[0]!.body).toEqual({ v: '<redacted>' });
    expect(readFileSync(file, 'utf8')).not.toContain('hunter22');
  });

  it('a failing log neither breaks the call nor starves the others', () => {
    const ok = new MemoryCallLog();
    const bad = {
      record() {
        throw new Error('disk full');
      },
    };
    expect(() => new TeeCallLog([bad, ok]).record(entry(null))).not.toThrow();
    expect(ok.entries).toHaveLength(1);
  });

  it('teeCallLogs and withEnvCallLog', () => {
    const m = new MemoryCallLog();
    expect(teeCallLogs()).toBeUndefined();
    expect(teeCallLogs(undefined, m)).toBe(m);
    expect(withEnvCallLog(m, {})).toBe(m);
    expect(withEnvCallLog(undefined, {})).toBeUndefined();
    const file = join(dir, 'env.jsonl');
    const both = withEnvCallLog(m, { SKYFLEET_CALL_LOG: file })!;
    both.record(entry({ a: 1 }, { authorization: 'Bearer secret-token' }));
    expect(m.entries).toHaveLength(1);
    const line = JSON.parse(readFileSync(file, 'utf8'));
    expect(line.headers).toEqual({ authorization: '<redacted>' });
    expect(Object.keys(line)).toEqual(Object.keys(entry(null)));
  });
});
