/**
 * What an emulator received and answered, in order: for API-economy tests ("a steady-state apply
 * makes no write calls"), call-order tests and debugging. One entry per HTTP request, so a call the
 * SDK retried three times is three entries.
 */
export interface RequestLogEntry {
  /** Sequence number, from 1. */
  seq: number;
  /** Emulator clock time (ms) when the request arrived. */
  time: number;
  /** The cloud operation (`CreateService`, `containerGroups.createOrUpdate`, `services.get`...). */
  operation: string;
  method: string;
  /** Path with query string. */
  path: string;
  /** Parsed JSON request body, or null. */
  body: unknown;
  status: number;
  /** Parsed JSON response body, or null. */
  response: unknown;
  /** Whether the operation changes state (the emulator says so per operation). */
  write: boolean;
  /** Set when the answer was an injected fault. */
  fault?: 'throttle' | 'forced';
}

export class RequestLog {
  readonly entries: RequestLogEntry[] = [];

  add(entry: Omit<RequestLogEntry, 'seq'>): RequestLogEntry {
    const e = { ...entry, seq: this.entries.length + 1 };
    this.entries.push(e);
    return e;
  }

  clear(): void {
    this.entries.length = 0;
  }

  /** A mark to count from: `const m = log.mark(); ...; log.since(m)`. */
  mark(): number {
    return this.entries.length;
  }

  since(mark: number): RequestLogEntry[] {
    return this.entries.slice(mark);
  }

  /** Operation names in order (optionally only since a mark). */
  operations(mark = 0): string[] {
    return this.since(mark).map((e) => e.operation);
  }

  /** How many requests of one operation (optionally only since a mark). */
  count(operation: string, mark = 0): number {
    return this.since(mark).filter((e) => e.operation === operation).length;
  }

  /** Write requests (those the emulator marks as changing state), including failed attempts. */
  writes(mark = 0): RequestLogEntry[] {
    return this.since(mark).filter((e) => e.write);
  }

  /** Successful (2xx) write requests. */
  successfulWrites(mark = 0): RequestLogEntry[] {
    return this.writes(mark).filter((e) => e.status >= 200 && e.status < 300);
  }
}
