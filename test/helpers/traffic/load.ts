import { Agent, request } from 'node:http';
import { createServer } from 'node:net';

export interface LoadResult {
  requests: number;
  /**
   * Responses with another status than expected (200 by default), bodies outside the expected
   * set (when one is given), and requests that failed without a response.
   */
  failed: number;
  /** Response bodies (trimmed) counted, e.g. versions. */
  bodies: Map<string, number>;
  /** The first few failures, for messages. */
  failures: string[];
  /**
   * Of the requests sent: those whose connection was closed before any response began (the
   * case RFC 9112 section 9.3.1 lets a client retry an idempotent request on a new
   * connection). Failed, unless the load retries them (`retryClosedEarly`).
   */
  closedEarly: number;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

function get(agent: Agent | false, port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8').trim() }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err: Error & { closedEarly?: boolean }) => {
      // the connection ended before a response began ("socket hang up"; a reset)
      err.closedEarly = (err as NodeJS.ErrnoException).code === 'ECONNRESET';
      reject(err);
    });
    req.end();
  });
}

/**
 * A bounded load loop against a listener on 127.0.0.1: `concurrency` workers send GETs with
 * keep-alive until `stop()` is called, `maxRequests` are sent, or `maxMs` passes, counting every
 * response. Only ever addresses 127.0.0.1.
 */
export function startLoad(
  port: number,
  options: {
    path?: string;
    concurrency?: number;
    maxRequests?: number;
    maxMs?: number;
    /** Retry once, on a new connection, a request whose connection closed before any response (RFC 9112 9.3.1). */
    retryClosedEarly?: boolean;
    /** The statuses that count as success (200 by default): a 404 or 403 during a rollout is a failure. */
    expectStatus?: number | readonly number[];
    /** The bodies (trimmed, e.g. versions) that count as success; any body when absent. */
    expectBodies?: readonly string[];
  } = {},
) {
  const okStatus = new Set(
    options.expectStatus === undefined ? [200] : ([] as number[]).concat(options.expectStatus as number | number[]),
  );
  const okBodies = options.expectBodies ? new Set(options.expectBodies) : undefined;
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency ?? 4 });
  const result: LoadResult = { requests: 0, failed: 0, bodies: new Map(), failures: [], closedEarly: 0 };
  const maxRequests = options.maxRequests ?? 200_000;
  const deadline = Date.now() + (options.maxMs ?? 180_000);
  let stopped = false;
  let marks: LoadResult | undefined;
  const worker = async () => {
    while (!stopped && result.requests < maxRequests && Date.now() < deadline) {
      result.requests++;
      try {
        const path = options.path ?? '/version';
        const r = await get(agent, port, path).catch((e: Error & { closedEarly?: boolean }) => {
          if (!e.closedEarly) throw e;
          result.closedEarly++;
          if (!options.retryClosedEarly) throw e;
          return get(false, port, path); // on a new connection: other pooled ones may be closing too
        });
        if (!okStatus.has(r.status) || (okBodies && !okBodies.has(r.body))) {
          result.failed++;
          if (result.failures.length < 10) result.failures.push(`${r.status} ${r.body.slice(0, 240)}`);
        } else result.bodies.set(r.body, (result.bodies.get(r.body) ?? 0) + 1);
      } catch (e) {
        result.failed++;
        if (result.failures.length < 10) result.failures.push((e as Error).message);
      }
    }
  };
  const done = Promise.all(Array.from({ length: options.concurrency ?? 4 }, worker));
  return {
    result,
    /** Starts a sub-count from now (e.g. the requests during one pause step). */
    mark(): void {
      marks = {
        requests: result.requests,
        failed: result.failed,
        bodies: new Map(result.bodies),
        failures: [],
        closedEarly: result.closedEarly,
      };
    },
    /** The counts since `mark()`. */
    sinceMark(): LoadResult {
      const m = marks ?? { requests: 0, failed: 0, bodies: new Map(), failures: [], closedEarly: 0 };
      const bodies = new Map<string, number>();
      for (const [k, v] of result.bodies) bodies.set(k, v - (m.bodies.get(k) ?? 0));
      return {
        requests: result.requests - m.requests,
        failed: result.failed - m.failed,
        bodies,
        failures: [],
        closedEarly: result.closedEarly - m.closedEarly,
      };
    },
    async stop(): Promise<LoadResult> {
      stopped = true;
      await done;
      agent.destroy();
      return result;
    },
  };
}
