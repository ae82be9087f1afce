import { useEffect, useRef, useState } from 'preact/hooks';

export type LinkState = 'connecting' | 'live' | 'reconnecting';

/**
 * Follows the API's watch streams (Server-Sent Events on the same origin, the session cookie sent
 * along) and calls `onChange` for every change. The browser's EventSource resumes by itself after
 * a dropped connection, sending Last-Event-ID; when the server refuses (the stream answered an
 * error, or 410 after pruning) it is opened again after a growing delay, and `onChange` runs so the
 * page reads everything afresh.
 */
export function useWatch(paths: string[], onChange: () => void): LinkState {
  const [state, setState] = useState<LinkState>('connecting');
  const cb = useRef(onChange);
  cb.current = onChange;
  const key = paths.join('\n');
  useEffect(() => {
    let closed = false;
    const sources: EventSource[] = [];
    const timers: number[] = [];
    let pending: number | undefined;
    const open = (path: string, attempt: number) => {
      if (closed) return;
      const es = new EventSource(path, { withCredentials: true });
      sources.push(es);
      // a burst of changes (a rollout step) is one read, not one per change
      const fire = () => {
        if (pending !== undefined) return;
        pending = window.setTimeout(() => {
          pending = undefined;
          if (!closed) cb.current();
        }, 50);
      };
      for (const type of ['ADDED', 'MODIFIED', 'DELETED']) es.addEventListener(type, fire);
      es.onopen = () => {
        attempt = 0;
        setState('live');
        fire();
      };
      es.onerror = () => {
        setState('reconnecting');
        if (es.readyState === EventSource.CLOSED) {
          const delay = Math.min(10_000, 500 * 2 ** attempt);
          timers.push(window.setTimeout(() => open(path, attempt + 1), delay));
        }
      };
    };
    for (const p of key.split('\n')) open(p, 0);
    return () => {
      closed = true;
      for (const s of sources) s.close();
      for (const t of timers) clearTimeout(t);
      clearTimeout(pending);
    };
  }, [key]);
  return state;
}

/**
 * Reads something now, again after every `refresh` token change and every `everyMs` (replica
 * states are observed from the clouds; not every change of them is a change in the feed).
 */
export function usePoll<T>(
  read: () => Promise<T>,
  deps: unknown[],
  everyMs = 2000,
): { data: T | undefined; error: Error | undefined; reload: () => void } {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<Error>();
  const [tick, setTick] = useState(0);
  const latest = useRef(0);
  useEffect(() => {
    let stop = false;
    const run = async () => {
      const n = ++latest.current;
      try {
        const v = await read();
        if (!stop && n === latest.current) {
          setData(v);
          setError(undefined);
        }
      } catch (e) {
        if (!stop && n === latest.current) setError(e as Error);
      }
    };
    void run();
    const t = window.setInterval(() => {
      if (document.visibilityState !== 'hidden') void run();
    }, everyMs);
    return () => {
      stop = true;
      clearInterval(t);
    };
  }, [...deps, tick]);
  return { data, error, reload: () => setTick((x) => x + 1) };
}
