// A steady load on a skyfleet listener: RATE GET requests a second, sent on a clock whatever the
// answers take (an open loop, as users arrive); a late clock makes up two requests at most, so no
// second sees more than RATE + 3. It sends only to 127.0.0.1, waits up to 30 s for the listener to answer first, and stops on
// SIGTERM or Ctrl-C (or after 120 s), printing how many requests were answered and how many failed.
//
//   npm run build && node dist/examples/autoscale/load.js PORT [RATE]
import { Agent, request } from 'node:http';

const [portArg, rateArg = '35'] = process.argv.slice(2);
const port = Number(portArg);
const rate = Number(rateArg);
if (!Number.isInteger(port) || port < 1 || port > 65535 || !(rate > 0 && rate <= 1000)) {
  console.error('usage: node dist/examples/autoscale/load.js PORT [RATE]   (RATE: requests a second, up to 1000)');
  process.exit(2);
}

const MAX_MS = 120_000;
/** Requests waiting for an answer at most: beyond, a tick sends nothing (and counts as failed). */
const MAX_IN_FLIGHT = 256;
const agent = new Agent({ keepAlive: true, maxSockets: 32 });

/** One GET of / on 127.0.0.1:port: its status, or the error's message. */
function get(): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', (e) => resolve(e.message));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (e) => resolve(e.message));
    req.end();
  });
}

// The listener starts with the deployment: wait until it answers.
const waitUntil = Date.now() + 30_000;
while ((await get()) !== 200) {
  if (Date.now() > waitUntil) {
    console.error(`load: nothing answers 200 on http://127.0.0.1:${port}/ after 30 s`);
    process.exit(1);
  }
  await new Promise((r) => setTimeout(r, 200));
}

let answered = 0;
let inFlight = 0;
const failures = new Map<string, number>();
const fail = (why: string) => failures.set(why, (failures.get(why) ?? 0) + 1);

console.log(`load: ${rate} requests a second to http://127.0.0.1:${port}/`);
const send = () => {
  if (inFlight >= MAX_IN_FLIGHT) return fail(`over ${MAX_IN_FLIGHT} in flight`);
  inFlight++;
  void get().then((r) => {
    inFlight--;
    if (r === 200) answered++;
    else fail(String(r));
  });
};
const started = Date.now();
let sent = 0;
const tick = setInterval(
  () => {
    const due = Math.floor(((Date.now() - started) * rate) / 1000) + 1;
    if (due - sent > 2) sent = due - 2; // late (a busy machine): make up 2 at most, never a burst
    while (sent < due) {
      sent++;
      send();
    }
  },
  Math.max(1, 500 / rate),
);

await new Promise<void>((resolve) => {
  process.once('SIGTERM', resolve);
  process.once('SIGINT', resolve);
  setTimeout(resolve, MAX_MS).unref();
});
clearInterval(tick);
const seconds = (Date.now() - started) / 1000;
while (inFlight > 0) await new Promise((r) => setTimeout(r, 10));
agent.destroy();
const failed = [...failures.values()].reduce((a, b) => a + b, 0);
const why = [...failures].map(([k, n]) => `${n} x ${k}`).join(', ');
console.log(
  `load: ${answered} requests answered 200 in ${seconds.toFixed(1)} s (${Math.round(answered / seconds)}/s), ${failed} failed${why ? ` (${why})` : ''}`,
);
