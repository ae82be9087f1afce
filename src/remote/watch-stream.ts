import { SkyfleetError } from '../errors/index.js';
import type { HttpClient } from './http-client.js';

/** One change a watch delivers. */
export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  kind: 'deployment' | 'event';
  /** The deployment record (secret references redacted) or event. */
  object: unknown;
  resourceVersion: number;
}

export interface SseMessage {
  id?: string;
  event?: string;
  data: string;
}

/** Splits Server-Sent Events text as it arrives into messages (comments and heartbeats dropped). */
export function sseParser(onMessage: (m: SseMessage) => void): (chunk: string) => void {
  let buf = '';
  return (chunk) => {
    buf += chunk.replace(/\r\n/g, '\n');
    for (let at = buf.indexOf('\n\n'); at >= 0; at = buf.indexOf('\n\n')) {
      const block = buf.slice(0, at);
      buf = buf.slice(at + 2);
      const m: SseMessage = { data: '' };
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (!line || line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'id') m.id = value;
        else if (field === 'event') m.event = value;
        else if (field === 'data') data.push(value);
      }
      if (!data.length) continue;
      m.data = data.join('\n');
      onMessage(m);
    }
  };
}

/**
 * Follows a watch (`path` with `?watch=1`) until `signal` aborts: every change once, in order.
 * A dropped connection is opened again from the last change seen (Last-Event-ID); a version
 * older than the server keeps ends it with a `gone` error.
 */
export async function followWatch(
  client: HttpClient,
  path: string,
  options: {
    from?: number;
    signal: AbortSignal;
    onEvent: (e: WatchEvent) => void;
    /** Called each time a connection opens (tests, progress). */
    onOpen?: () => void;
    /** Wait before reconnecting (ms, default 200). */
    retryMs?: number;
  },
): Promise<void> {
  let last = options.from;
  const sep = path.includes('?') ? '&' : '?';
  while (!options.signal.aborted) {
    try {
      const res = await client.raw('GET', `${path}${sep}watch=1`, {
        signal: options.signal,
        headers: { accept: 'text/event-stream', ...(last !== undefined ? { 'last-event-id': String(last) } : {}) },
      });
      options.onOpen?.();
      let gone: SkyfleetError | undefined;
      const parse = sseParser((m) => {
        if (m.event === 'error') {
          gone = new SkyfleetError('gone', JSON.parse(m.data) as string);
          res.stream.destroy();
          return;
        }
        const e = JSON.parse(m.data) as WatchEvent;
        last = e.resourceVersion;
        options.onEvent(e);
      });
      await new Promise<void>((resolve) => {
        res.stream.setEncoding('utf8');
        res.stream.on('data', parse);
        res.stream.on('end', resolve);
        res.stream.on('close', resolve);
        res.stream.on('error', () => resolve());
      });
      if (gone) throw gone;
    } catch (e) {
      if (options.signal.aborted) return;
      if (!(e instanceof SkyfleetError) || !e.retryable) throw e;
    }
    if (options.signal.aborted) return;
    await new Promise((r) => setTimeout(r, options.retryMs ?? 200));
  }
}
