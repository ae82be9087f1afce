import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MemoryCloud, MemoryProvider } from '../../../providers/memory/index.js';
import { memoryTargetSettings } from '../../../providers/memory/settings.js';
import { type CallLogEntry, callLogPathProblem, FileCallLog } from '../../../src/calllog/index.js';
import {
  createFleet,
  type Provider,
  type ProviderDescriptor,
  registerProvider,
  targetBase,
} from '../../../src/index.js';

// The call log must not lose records silently (issue 15).

const dir = mkdtempSync(join(tmpdir(), 'skyfleet-calllog-fail-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const entry: CallLogEntry = {
  time: '2026-01-01T00:00:00.000Z',
  cloud: 'aws-ecs',
  target: 'aws',
  method: 'POST',
  url: 'https://ecs.example/x',
  headers: {},
  body: null,
  status: 200,
  durationMs: 1,
  deployment: 'web',
  reason: 'observe',
};

describe('FileCallLog', () => {
  it('reports the first failed write once through onError, and counts the rest', () => {
    const errors: string[] = [];
    const log = new FileCallLog(dir, { onError: (e, path) => errors.push(`${path}: ${e.message}`) }); // a directory
    log.record(entry);
    log.record(entry);
    log.record(entry);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/EISDIR/);
    expect(log.failures).toBe(3);
  });

  it('callLogPathProblem names a missing or unwritable place', () => {
    expect(callLogPathProblem(join(dir, 'calls.jsonl'))).toBeUndefined();
    expect(callLogPathProblem(join(dir, 'nope', 'calls.jsonl'))).toBe(
      `the directory ${join(dir, 'nope')} does not exist`,
    );
    expect(callLogPathProblem(dir)).toBe(`${dir} is a directory`);
  });
});

// a provider kind that records one call per observe to the call log of its context
const recSettings = z.strictObject({ ...targetBase, kind: z.literal('recording-test') });
const cloud = new MemoryCloud();
const recording: ProviderDescriptor<typeof recSettings> = {
  specificationVersion: 'v1',
  kind: 'recording-test',
  settings: recSettings,
  create: async (settings, ctx) => {
    const inner = new MemoryProvider(
      memoryTargetSettings.parse({ name: settings.name, kind: 'memory', zones: ['a'] }),
      ctx,
      { cloud },
    );
    const p: Provider = {
      target: inner.target,
      kind: 'recording-test',
      describe: () => inner.describe(),
      observe: (sel, o) => {
        ctx.callLog?.record({ ...entry, target: settings.name });
        return inner.observe(sel, o);
      },
      apply: (s, o) => inner.apply(s, o),
      remove: (k, o) => inner.remove(k, o),
    };
    return p;
  },
};

it('createFleet({ callLog: path }): a write failure is an error on the logger, once, and a store event', async () => {
  registerProvider(recording);
  const logged: Array<{ obj: object; msg?: string }> = [];
  const logger = {
    debug() {},
    info() {},
    warn() {},
    error: (obj: object, msg?: string) => logged.push({ obj, msg }),
  };
  const fleet = createFleet({
    name: 'calls',
    targets: [{ name: 'rec', kind: 'recording-test' } as never],
    store: ':memory:',
    callLog: dir, // a directory: every write fails
    logger,
  });
  await fleet.apply({
    apiVersion: 'skyfleet.dev/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: { replicas: 1, template: { containers: [{ name: 'web', image: 'img:1' }] } },
  });
  await new Promise((r) => setTimeout(r, 20));
  const events = await fleet.events();
  await fleet.close();
  expect(logged).toHaveLength(1);
  expect(logged[0]!.msg).toMatch(
    new RegExp(`the call log ${dir} cannot be written \\(EISDIR.*\\): cloud API calls are not being recorded`),
  );
  expect(events.filter((e) => e.reason === 'CallLogFailed')).toEqual([
    expect.objectContaining({ type: 'Warning', deployment: null, message: logged[0]!.msg }),
  ]);
});
