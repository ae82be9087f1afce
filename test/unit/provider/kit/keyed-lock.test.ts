import { expect, it } from 'vitest';
import { KeyedLock } from '../../../../src/provider/kit/keyed-lock.js';

/** A promise and the function that resolves it. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => {
    open = r;
  });
  return { promise, open };
}
const turn = () => new Promise((r) => setImmediate(r));

it('runs operations on the same key one at a time, in order', async () => {
  const lock = new KeyedLock();
  const events: string[] = [];
  const first = gate();
  const a = lock.run('svc', async () => {
    events.push('a start');
    await first.promise;
    events.push('a end');
    return 'a';
  });
  const b = lock.run('svc', async () => {
    events.push('b start');
    return 'b';
  });
  await turn();
  expect(events).toEqual(['a start']); // b waits for a
  first.open();
  expect(await Promise.all([a, b])).toEqual(['a', 'b']);
  expect(events).toEqual(['a start', 'a end', 'b start']);
});

it('runs operations on different keys at the same time', async () => {
  const lock = new KeyedLock();
  const events: string[] = [];
  const first = gate();
  const a = lock.run('one', async () => {
    events.push('a start');
    await first.promise;
    events.push('a end');
  });
  const b = lock.run('two', async () => {
    events.push('b start');
  });
  await b; // does not wait for a
  expect(events).toEqual(['a start', 'b start']);
  first.open();
  await a;
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
