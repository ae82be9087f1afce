// A router on fixed upstream ports, for profiling by hand:
//   node dist/bench/router/serve.js PORT UPSTREAM_PORT...   (then wrk against 127.0.0.1:PORT)
// PRECONNECT=n sets RouterOptions.preconnect (idle connections opened ahead per endpoint);
// BALANCING=round-robin|least-request sets RouterOptions.balancing.
import { type Balancing, Router } from '../../src/traffic/index.js';

const [listen, ...ups] = process.argv.slice(2).map(Number);
const router = new Router({
  name: 'serve',
  listen: { port: listen ?? 0 },
  ejection: { consecutiveFailures: 0 },
  ...(process.env.PRECONNECT === undefined ? {} : { preconnect: Number(process.env.PRECONNECT) }),
  ...(process.env.BALANCING === undefined ? {} : { balancing: process.env.BALANCING as Balancing }),
});
router.setEndpoints(
  ups.map((p, i) => ({ id: `u${i}`, host: '127.0.0.1', port: p, revision: 'v1', target: 'local', zone: 'local' })),
);
const a = await router.start();
console.log(`router on ${a.host}:${a.port}`);
process.on('SIGINT', () => void router.close().then(() => process.exit(0)));
process.on('SIGTERM', () => void router.close().then(() => process.exit(0)));
