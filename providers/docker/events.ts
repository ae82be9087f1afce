import type Docker from 'dockerode';

/** One message of Docker's `/events` stream (the fields skyfleet reads). */
export interface DockerEvent {
  Type?: string;
  Action?: string;
  status?: string;
  id?: string;
  time?: number;
  timeNano?: number;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
}

/** Container events a watch subscribes to; `health_status` matches `health_status: healthy` etc. */
export const WATCHED_EVENTS = ['die', 'start', 'destroy', 'health_status'];

export interface EventStreamOptions {
  /** Label filters (`key=value`), all of which an event's container must carry. */
  labels: string[];
  onEvent: (event: DockerEvent) => void;
  /** Called after the stream was lost and opened again (events may have been missed). */
  onReconnect?: () => void;
  /** Called when a connection attempt fails (the stream keeps retrying). */
  onError?: (err: unknown) => void;
  /** First and largest delay between reconnection attempts. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

type Destroyable = NodeJS.ReadableStream & { destroy?: (err?: Error) => void };

/**
 * Follows Docker's event stream for containers with the given labels, reconnecting (with backoff,
 * resuming from the last event's time) whenever the stream ends or fails. Returns a function that
 * stops it for good.
 */
export function followEvents(client: () => Promise<Docker>, opts: EventStreamOptions): () => void {
  const minBackoff = opts.minBackoffMs ?? 250;
  const maxBackoff = opts.maxBackoffMs ?? 10_000;
  let stopped = false;
  let stream: Destroyable | undefined;
  let timer: NodeJS.Timeout | undefined;
  let backoff = minBackoff;
  // start from the current second: an event that happens right after watch() returns is not missed
  let lastTime: number = Math.floor(Date.now() / 1000);
  // the newest event delivered: a reconnection replays its second, which must not deliver it twice
  let lastNano = 0;
  let connectedOnce = false;

  const schedule = () => {
    if (stopped || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      void connect();
    }, backoff);
    backoff = Math.min(backoff * 2, maxBackoff);
  };

  const connect = async () => {
    if (stopped) return;
    let s: Destroyable;
    try {
      const docker = await client();
      const options: Docker.GetEventsOptions = {
        filters: { type: ['container'], label: opts.labels, event: WATCHED_EVENTS },
      };
      // (re)start where the stream ended: Docker replays from that second; duplicates are harmless
      options.since = lastTime;
      s = (await docker.getEvents(options)) as Destroyable;
    } catch (err) {
      opts.onError?.(err);
      schedule();
      return;
    }
    if (stopped) {
      s.destroy?.();
      return;
    }
    stream = s;
    backoff = minBackoff;
    if (connectedOnce) safe(() => opts.onReconnect?.());
    connectedOnce = true;
    let buf = '';
    let ended = false;
    const end = (err?: unknown) => {
      if (ended) return;
      ended = true;
      if (err) opts.onError?.(err);
      if (stream === s) stream = undefined;
      schedule();
    };
    s.on('data', (chunk: Buffer | string) => {
      buf += chunk.toString();
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i).trim();
        buf = buf.slice(i + 1);
        if (!line) continue;
        let ev: DockerEvent;
        try {
          ev = JSON.parse(line) as DockerEvent;
        } catch {
          continue;
        }
        if (typeof ev.timeNano === 'number') {
          if (ev.timeNano <= lastNano) continue;
          lastNano = ev.timeNano;
        }
        if (typeof ev.time === 'number') lastTime = ev.time;
        safe(() => opts.onEvent(ev));
      }
    });
    s.on('end', () => end());
    s.on('close', () => end());
    s.on('error', (err: unknown) => end(err));
  };

  void connect();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    timer = undefined;
    stream?.destroy?.();
    stream = undefined;
  };
}

function safe(fn: () => void): void {
  try {
    fn();
  } catch {
    // a failing listener must not break the stream
  }
}
