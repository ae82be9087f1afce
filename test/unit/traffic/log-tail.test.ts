import { appendFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { LogTail } from '../../../src/traffic/log-tail.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

it('hands over every appended line once, across partial writes and rotations (rename, reopen, delete)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skyfleet-logtail-'));
  dirs.push(dir);
  const path = join(dir, 'access.log');
  // the writer (nginx) keeps writing to the file it has open until asked to reopen the path
  let writing = path;
  let reopens = 0;
  const lines: string[] = [];
  const tail = new LogTail({
    path,
    onLine: (l) => lines.push(l),
    reopen: () => {
      reopens++;
      writing = `${path}.1`; // what was renamed; the reopen below moves to the new file
      setImmediate(() => {
        writing = path;
        appendFileSync(path, '');
      });
    },
    rotateBytes: 200,
  });
  await tail.poll(); // no file yet: nothing, no error
  let n = 0;
  for (let round = 0; round < 20; round++) {
    // a line split over two writes, then whole ones
    appendFileSync(writing, `line ${n++}|a|`);
    appendFileSync(writing, `b\nline ${n++}|x\nline ${n++}|y\n`);
    await tail.poll();
    await new Promise((r) => setImmediate(r));
  }
  for (let i = 0; i < 3; i++) await tail.poll();
  await tail.close();
  expect(lines).toEqual(
    Array.from({ length: n }, (_, i) => (i % 3 === 0 ? `line ${i}|a|b` : `line ${i}|${i % 3 === 1 ? 'x' : 'y'}`)),
  );
  expect(reopens).toBeGreaterThanOrEqual(2);
  expect(existsSync(`${path}.1`)).toBe(false);
});
