import { type FileHandle, open, rename, stat, unlink } from 'node:fs/promises';

export interface LogTailOptions {
  /** The file a writer appends lines to. */
  path: string;
  /** Called with each complete line (without its newline). */
  onLine: (line: string) => void;
  /** Asks the writer to reopen its log file (nginx: SIGUSR1 to the master). */
  reopen: () => void;
  /** How often new lines are read. Default 250 ms. */
  intervalMs?: number;
  /** The file is rotated (renamed, the writer reopens, the old one deleted) beyond this. Default 64 MiB. */
  rotateBytes?: number;
}

const CHUNK = 1 << 20;

/**
 * Follows a log file another process appends to (nginx's buffered access log): reads what was
 * added every `intervalMs`, in chunks, and hands over whole lines. Keeps the file small by
 * rotating it the way logrotate does with nginx: rename, ask the writer to reopen, read the
 * renamed file to its end, delete it.
 */
export class LogTail {
  private fh: FileHandle | null = null;
  private offset = 0;
  private rest = '';
  private timer: NodeJS.Timeout | null = null;
  private busy: Promise<void> = Promise.resolve();
  /** The renamed file being read to its end after a rotation. */
  private rotated: string | null = null;
  private reopenSeen = false;
  private readonly buf = Buffer.allocUnsafe(CHUNK);

  constructor(private readonly o: LogTailOptions) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.poll(), this.o.intervalMs ?? 250);
    this.timer.unref();
  }

  /** Reads everything written so far (what a poll does), e.g. before a final count. */
  poll(): Promise<void> {
    this.busy = this.busy.then(() => this.readNew()).catch(() => undefined);
    return this.busy;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.busy;
    await this.fh?.close().catch(() => undefined);
    this.fh = null;
  }

  private async readNew(): Promise<void> {
    if (!this.fh) {
      try {
        this.fh = await open(this.o.path, 'r');
      } catch {
        return; // not written yet
      }
      this.offset = 0;
    }
    for (;;) {
      const { bytesRead } = await this.fh.read(this.buf, 0, CHUNK, this.offset);
      if (bytesRead === 0) break;
      this.offset += bytesRead;
      const text = this.rest + this.buf.toString('latin1', 0, bytesRead);
      const lines = text.split('\n');
      this.rest = lines.pop() ?? '';
      for (const line of lines) if (line) this.o.onLine(line);
    }
    if (this.rotated !== null) {
      // the writer reopened once the new file exists; the old one is read to its end
      const reopened = await stat(this.o.path).then(
        () => true,
        () => false,
      );
      if (!reopened) return;
      // one more poll: a worker that reopened later may still have flushed into the old file
      if (!this.reopenSeen) {
        this.reopenSeen = true;
        return;
      }
      this.reopenSeen = false;
      await this.fh.close();
      await unlink(this.rotated).catch(() => undefined);
      this.rotated = null;
      this.fh = null;
      this.offset = 0;
      this.rest = '';
      return;
    }
    if (this.offset > (this.o.rotateBytes ?? 64 << 20)) {
      this.rotated = `${this.o.path}.1`;
      await rename(this.o.path, this.rotated);
      this.o.reopen();
    }
  }
}
