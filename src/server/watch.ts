import { streamSSE } from 'hono/streaming';
import type { ApiStore, ChangeRecord } from '../store/api-store.js';
import { ApiError } from './api-error.js';
import type { ApiContext } from './endpoint.js';
import { redactRecord } from './redact.js';

export interface FeedHubOptions {
  /** How often the feed is polled while someone watches (ms). */
  pollMs?: number;
}

/**
 * One poller of the store's change feed for all the watches of a server: it polls while anyone
 * watches and wakes them when the feed grows (a write by this process or any other).
 */
export class FeedHub {
  private newest = -1;
  private waiters = new Set<() => void>();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private readonly pollMs: number;

  constructor(
    private readonly store: ApiStore,
    options: FeedHubOptions = {},
  ) {
    this.pollMs = options.pollMs ?? 20;
  }

  /** Resolves when the feed grows, or after `maxMs`, or when `signal` aborts. */
  wait(maxMs: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        signal.removeEventListener('abort', done);
        this.waiters.delete(done);
        resolve();
      };
      const t = setTimeout(done, maxMs);
      signal.addEventListener('abort', done, { once: true });
      this.waiters.add(done);
      this.schedule();
    });
  }

  /** Wakes every watch now (a write this process just made). */
  poke(): void {
    for (const w of [...this.waiters]) w();
  }

  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.poke();
  }

  private schedule(): void {
    if (this.timer || !this.waiters.size) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.poll();
    }, this.pollMs);
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const { newest } = await this.store.feedBounds();
      if (newest !== this.newest) {
        this.newest = newest;
        this.poke();
      }
    } catch {
      // the store is away for a moment: the next poll tries again
    } finally {
      this.polling = false;
      this.schedule();
    }
  }
}

/** Where a watch starts: `Last-Event-ID`, else `?resourceVersion=`, else the feed's newest change. */
export function resumeFrom(c: ApiContext): number | undefined {
  const raw = c.req.header('last-event-id') ?? c.req.query('resourceVersion');
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d+$/.test(raw)) {
    throw new ApiError(
      400,
      'invalid_input',
      `resourceVersion: expected a non-negative integer, got ${JSON.stringify(raw)}`,
      [{ path: 'resourceVersion', message: 'expected a non-negative integer' }],
    );
  }
  return Number(raw);
}

const gone = (from: number, oldest: number) =>
  new ApiError(
    410,
    'gone',
    `resourceVersion ${from} is older than the changes kept (oldest ${oldest}): list again and watch from the list's resourceVersion`,
  );

/**
 * Streams the changes of one kind as Server-Sent Events (`id` = the change's id, `event` =
 * ADDED/MODIFIED/DELETED, `data` = `{ type, object, resourceVersion }`), from the version the client
 * resumes at, with a comment line as heartbeat. 410 Gone when that version was pruned.
 */
export async function watchFeed(
  c: ApiContext,
  store: ApiStore,
  hub: FeedHub,
  filter: (ch: ChangeRecord) => boolean,
  options: { heartbeatMs: number },
): Promise<Response> {
  const bounds = await store.feedBounds();
  let cursor = resumeFrom(c) ?? bounds.newest;
  if (bounds.oldest > 0 && cursor < bounds.oldest - 1) throw gone(cursor, bounds.oldest);
  const ac = new AbortController();
  c.req.raw.signal?.addEventListener('abort', () => ac.abort(), { once: true });
  return streamSSE(c, async (stream) => {
    stream.onAbort(() => ac.abort());
    await stream.write(': watching\n\n');
    let lastBeat = Date.now();
    while (!ac.signal.aborted && !stream.aborted && !stream.closed) {
      const changes = await store.listChanges(cursor, 500);
      if (changes.length && changes[0]!.id > cursor + 1) {
        // pruned under a slow reader: it cannot see everything any more
        const { oldest } = await store.feedBounds();
        if (cursor < oldest - 1) {
          await stream.writeSSE({ event: 'error', data: JSON.stringify(gone(cursor, oldest).message) });
          break;
        }
      }
      for (const ch of changes) {
        cursor = ch.id;
        if (!filter(ch)) continue;
        await stream.writeSSE({
          id: String(ch.id),
          event: ch.type,
          data: JSON.stringify({
            type: ch.type,
            kind: ch.kind,
            object: redactRecord(ch.object),
            resourceVersion: ch.id,
          }),
        });
      }
      if (changes.length === 500) continue;
      if (Date.now() - lastBeat >= options.heartbeatMs) {
        await stream.write(': heartbeat\n\n');
        lastBeat = Date.now();
      }
      await hub.wait(options.heartbeatMs, ac.signal);
    }
  });
}
