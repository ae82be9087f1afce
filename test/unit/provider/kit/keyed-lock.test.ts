import { expect, it } from 'vitest';
import { KeyedLock } from '../../../../src/provider/kit/keyed-lock.js';

const turn = () => new Promise((r) => setImmediate(r));

/**
 * Runs `name` under `key`, logging when it starts and ends; it holds the lock until `release()`
 * when `held`, and returns its name.
 */
function runLogged(lock: KeyedLock, key: string, name: string, log: string[], held = false) {
  let release!: () => void;
  const gate = held ? new Promise<void>((r) => (release = r)) : Promise.resolve();
  const done = lock.run(key, async () => {
    log.push(`${name} start`);
    await gate;
    log.push(`${name} end`);
    return name;
  });
  return { done, release: () => release?.() };
}

it('runs operations on the same key one at a time, in order', async () => {
  const lock = new KeyedLock();
  const log: string[] = [];
  const a = runLogged(lock, 'svc', 'a', log, true);
  const b = runLogged(lock, 'svc', 'b', log);
  await turn();
  expect(log).toEqual(['a start']); // b waits for a
  a.release();
  expect(await Promise.all([a.done, b.done])).toEqual(['a', 'b']);
  expect(log).toEqual(['a start', 'a end', 'b start', 'b end']);
});

it('runs operations on different keys at the same time', async () => {
  const lock = new KeyedLock();
  const log: string[] = [];
  const a = runLogged(lock, 'one', 'a', log, true);
  const b = runLogged(lock, 'two', 'b', log);
  expect(await b.done).toBe('b'); // does not wait for a
  expect(log).toEqual(['a start', 'b start', 'b end']);
  a.release();
  await a.done;
});

it('a failure reaches its caller and does not block the next operation; idle keys are dropped', async () => {
  const lock = new KeyedLock();
  const failed = lock.run('k', async () => {
    throw new Error('boom');
  });
  const next = lock.run('k', async () => 'next');
  await expect(failed).rejects.toThrow('boom');
  expect(await next).toBe('next');
  await turn();
  expect(lock.size).toBe(0);
});
