import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { operationOf, summarizeCallLog } from '../../../src/calllog/summarize.js';
import { formatCallSummary } from '../../../src/cli/calls-command.js';

// 21 calls over three targets, a blank line and three malformed lines (see the expectations)
const FIXTURE = readFileSync(new URL('./fixtures/calls.jsonl', import.meta.url), 'utf8');

describe('summarizeCallLog on the fixture', () => {
  const s = summarizeCallLog(FIXTURE);

  it('counts well-formed calls and reports malformed lines by number, skipping blank ones', () => {
    expect(s.calls).toBe(21);
    expect(s.malformed.map((m) => m.line)).toEqual([5, 15, 25]);
    expect(s.malformed[0]!.error).toMatch(/^not JSON/);
    expect(s.malformed[1]!.error).toBe('"url" is missing or not a string');
    expect(s.malformed[2]!.error).toBe('not a JSON object');
    expect(s.targets.map((t) => `${t.cloud}/${t.target}`)).toEqual([
      'aws-ecs/aws',
      'azure-aci/azure',
      'gcp-cloud-run/gcr',
    ]);
  });

  it('ECS: operations from x-amz-target, a throttled CreateService and its retry, p50/max', () => {
    expect(s.targets[0]).toEqual({
      cloud: 'aws-ecs',
      target: 'aws',
      calls: 5,
      writes: 3,
      reads: 2,
      errors: 1,
      retries: 1,
      totalMs: 150,
      p50Ms: 30,
      maxMs: 50,
      statuses: { '200': 4, '400': 1 },
      operations: [
        { operation: 'CreateService', write: true, calls: 2, errors: 1, retries: 1, totalMs: 70 },
        { operation: 'DescribeServices', write: false, calls: 2, errors: 0, retries: 0, totalMs: 60 },
        { operation: 'RegisterTaskDefinition', write: true, calls: 1, errors: 0, retries: 0, totalMs: 20 },
      ],
    });
  });

  it('ARM: method + resource type; list vs get; actions; LRO polls are not retries, a 429 then 200 is', () => {
    const t = s.targets[1]!;
    expect(t).toMatchObject({ calls: 7, writes: 4, reads: 3, errors: 1, retries: 1, totalMs: 25, p50Ms: 3, maxMs: 8 });
    expect(t.operations.map((o) => [o.operation, o.calls, o.errors, o.retries])).toEqual([
      ['DELETE containerGroups', 2, 1, 1],
      ['GET locations/operations', 2, 0, 0],
      ['GET containerGroups (list)', 1, 0, 0],
      ['POST containerGroups/restart', 1, 0, 0],
      ['PUT containerGroups', 1, 0, 0],
    ]);
  });

  it('Cloud Run: method + resource; null status is an error; a read repeated after a 404 is not a retry', () => {
    const t = s.targets[2]!;
    expect(t).toMatchObject({ calls: 9, writes: 5, reads: 4, errors: 3, retries: 2, totalMs: 71, p50Ms: 7, maxMs: 12 });
    expect(t.statuses).toEqual({ '200': 6, '404': 1, '503': 1, null: 1 });
    expect(t.operations.map((o) => [o.operation, o.write, o.calls, o.errors, o.retries])).toEqual([
      ['PATCH services', true, 3, 2, 2],
      ['GET services', false, 2, 1, 0],
      ['GET operations', false, 1, 0, 0],
      ['GET services (list)', false, 1, 0, 0],
      ['POST services', true, 1, 0, 0],
      ['POST services:setIamPolicy', true, 1, 0, 0],
    ]);
  });

  it('the table lists every target and operation, and the malformed lines', () => {
    const text = formatCallSummary(s);
    expect(text.split('\n')[0]).toMatch(
      /^CLOUD\s+TARGET\s+CALLS\s+WRITES\s+READS\s+ERRORS\s+RETRIES\s+TOTAL\s+P50\s+MAX$/,
    );
    expect(text).toMatch(/aws-ecs\s+aws\s+5\s+3\s+2\s+1\s+1\s+150ms\s+30ms\s+50ms/);
    expect(text).toMatch(/POST containerGroups\/restart\s+write\s+1\s+0\s+0\s+5ms/);
    expect(text).toContain('malformed lines: 3 (skipped)');
    expect(text).toContain('line 15: "url" is missing or not a string');
  });
});

describe('summarizeCallLog edge cases', () => {
  it('accepts lines as an array; an empty log is an empty summary', () => {
    expect(summarizeCallLog([])).toEqual({ calls: 0, targets: [], malformed: [] });
    expect(summarizeCallLog('\n\n')).toEqual({ calls: 0, targets: [], malformed: [] });
    expect(formatCallSummary(summarizeCallLog(''))).toBe('no calls');
  });

  it('rejects entries without a usable status or duration, and keeps going', () => {
    const ok = { cloud: 'azure-aci', target: 'a', method: 'GET', url: 'https://x/y', status: 200, durationMs: 1 };
    const s = summarizeCallLog([
      JSON.stringify({ ...ok, status: '200' }),
      JSON.stringify({ ...ok, durationMs: -1 }),
      JSON.stringify(ok),
    ]);
    expect(s.malformed.map((m) => m.line)).toEqual([1, 2]);
    expect(s.calls).toBe(1);
  });
});

describe('operationOf', () => {
  it('names operations per cloud', () => {
    const ecs = (op: string) => ({
      cloud: 'aws-ecs' as const,
      method: 'POST',
      url: 'https://ecs.us-east-1.amazonaws.com/',
      headers: { 'x-amz-target': `AmazonEC2ContainerServiceV20141113.${op}` },
    });
    expect(operationOf(ecs('ListTasks'))).toEqual({ operation: 'ListTasks', write: false });
    expect(operationOf(ecs('TagResource'))).toEqual({ operation: 'TagResource', write: true });
    const arm = (method: string, path: string) => ({
      cloud: 'azure-aci' as const,
      method,
      url: `https://management.azure.com${path}?api-version=2023-05-01`,
      headers: {},
    });
    expect(operationOf(arm('GET', '/subscriptions/s/resourceGroups/rg'))).toEqual({
      operation: 'GET subscriptions/resourceGroups',
      write: false,
    });
    expect(
      operationOf(
        arm(
          'GET',
          '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerInstance/containerGroups/g/containers/c/logs',
        ),
      ).operation,
    ).toBe('GET containerGroups/containers/logs (list)');
    const run = (method: string, path: string) => ({
      cloud: 'gcp-cloud-run' as const,
      method,
      url: `https://run.googleapis.com${path}`,
      headers: {},
    });
    expect(operationOf(run('GET', '/v2/projects/p/locations/l/services/s/revisions/r')).operation).toBe(
      'GET services/revisions',
    );
    expect(operationOf(run('DELETE', '/v2/projects/p/locations/l/services/s'))).toEqual({
      operation: 'DELETE services',
      write: true,
    });
  });
});
