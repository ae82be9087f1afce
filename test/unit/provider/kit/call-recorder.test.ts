import { describe, expect, it } from 'vitest';
import { type CallLogEntry, MemoryCallLog, REDACTED } from '../../../../src/calllog/index.js';
import { bodyOf, CallRecorder, headersOf } from '../../../../src/provider/kit/call-recorder.js';
import { currentCallScope, runInCallScope } from '../../../../src/provider/kit/call-scope.js';
import { ManualClock } from '../../../../src/util/clock.js';

const SECRET = 'pa55-w0rd-do-not-log';

/** A log that keeps exactly what the recorder hands it (MemoryCallLog redacts again). */
class RawLog {
  readonly calls: Array<{ entry: CallLogEntry; secrets: readonly string[] | undefined }> = [];
  record(entry: CallLogEntry, secrets?: readonly string[]): void {
    this.calls.push({ entry, secrets });
  }
}

describe('CallRecorder', () => {
  it('redacts the call scope secret values and hands them to the log, for any cloud', () => {
    for (const cloud of ['aws-ecs', 'azure-aci', 'gcp-cloud-run'] as const) {
      const log = new RawLog();
      const clock = new ManualClock(1_700_000_000_000);
      let t = 100;
      const rec = new CallRecorder({ cloud, target: 't1', log, clock, monotonic: () => t });
      runInCallScope({ deployment: 'web', reason: 'create', secrets: [SECRET], recorder: rec }, () => {
        const done = currentCallScope()!.recorder!.begin({
          method: 'put',
          url: 'https://api.example/x',
          headers: { Authorization: 'Bearer abc', 'Content-Type': 'application/json' },
          body: JSON.stringify({ env: [{ name: 'DB', value: `postgres://u:${SECRET}@db` }], image: 'nginx' }),
        });
        t = 112.345;
        done(201);
        done(500); // once only
      });
      expect(log.calls).toHaveLength(1);
      const { entry, secrets } = log.calls[0]!;
      expect(secrets).toEqual([SECRET]);
      expect(JSON.stringify(entry)).not.toContain(SECRET);
      expect(entry).toEqual({
        time: '2023-11-14T22:13:20.000Z',
        cloud,
        target: 't1',
        method: 'PUT',
        url: 'https://api.example/x',
        headers: { authorization: REDACTED, 'content-type': 'application/json' },
        body: { env: [{ name: 'DB', value: REDACTED }], image: 'nginx' },
        status: 201,
        durationMs: 12.3,
        deployment: 'web',
        reason: 'create',
      });
    }
  });

  it('secrets added to the scope during the call are redacted too; a failing log never throws', () => {
    const log = new MemoryCallLog();
    const rec = new CallRecorder({ cloud: 'azure-aci', target: 'a', log });
    const scope = { deployment: null, reason: 'observe', secrets: [] as string[], recorder: rec };
    runInCallScope(scope, () => {
      currentCallScope()!.secrets.push('registry-password');
      rec.begin({ method: 'GET', url: 'u', body: Buffer.from('{"password2":"registry-password"}') })(null);
    });
    expect(log.entries[0]!.body).toEqual({ password2: REDACTED });
    expect(log.entries[0]!.status).toBeNull();
    const broken = new CallRecorder({
      cloud: 'aws-ecs',
      target: 'b',
      log: {
        record: () => {
          throw new Error('disk full');
        },
      },
    });
    expect(() => broken.begin({ method: 'GET', url: 'u' })(200)).not.toThrow();
  });

  it('records nothing without a log; withLog gives the same recorder on another log', () => {
    const rec = new CallRecorder({ cloud: 'gcp-cloud-run', target: 'g' });
    expect(() => rec.begin({ method: 'GET', url: 'u' })(200)).not.toThrow();
    const log = new MemoryCallLog();
    rec.withLog(log).begin({ method: 'GET', url: 'u' })(200);
    expect(log.entries.map((e) => [e.cloud, e.target, e.reason])).toEqual([['gcp-cloud-run', 'g', 'unknown']]);
  });
});

describe('bodyOf and headersOf', () => {
  it('read every shape the SDKs hand over', () => {
    expect(bodyOf('{"a":1}')).toEqual({ a: 1 });
    expect(bodyOf(new TextEncoder().encode('{"a":2}'))).toEqual({ a: 2 });
    expect(bodyOf('not json')).toBe('not json');
    expect([bodyOf(''), bodyOf(undefined), bodyOf(null), bodyOf({ pipe: () => {} })]).toEqual([null, null, null, null]);
    expect(headersOf(new Headers({ 'X-A': '1' }))).toEqual({ 'x-a': '1' });
    expect(headersOf({ toJSON: () => ({ 'X-B': '2' }) })).toEqual({ 'x-b': '2' });
    expect(headersOf({ 'X-C': 3, 'X-D': undefined })).toEqual({ 'x-c': '3' });
    expect(headersOf(undefined)).toEqual({});
  });
});
