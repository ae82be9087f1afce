/**
 * Eventual consistency for emulated reads: after a write, some reads of a cloud keep answering what
 * was there before for a while (AWS: "The Amazon ECS API follows an eventual consistency model ...
 * the result of an API command you run that affects your Amazon ECS resources might not be
 * immediately visible to all subsequent commands you run", RunTask in
 * emulators/reference/aws-ecs/ecs-2014-11-13.service-2.full.json; ARM: lists are served from a
 * regional cache, Azure/AKS#1964, Azure/azure-rest-api-specs#28600).
 *
 * `LaggedReads` models a replica that applies each write `lagMs` after it was made (on the
 * emulator's injected clock, no timers): an emulator calls `write(key, at, before)` just before a
 * write changes resource `key` (`before`: what a read showed until then, `undefined` when the
 * resource did not exist), and answers a lagging read with `read(key, now, live)`: the state before
 * the oldest write not yet applied, else the live state. `lagMs: 0` turns it off.
 */
export class LaggedReads<V> {
  private readonly pending = new Map<string, Array<{ at: number; before: V | undefined }>>();

  constructor(readonly lagMs: number) {}

  /** Records a write of `key` at `at`; `before` is the resource as reads showed it until then. */
  write(key: string, at: number, before: V | undefined): void {
    if (this.lagMs <= 0) return;
    const list = this.pending.get(key) ?? [];
    list.push({ at, before });
    this.pending.set(key, list);
  }

  /** What a lagging read of `key` shows at `now`: a state before unapplied writes, or `live()`. */
  read(key: string, now: number, live: () => V | undefined): V | undefined {
    const oldest = this.unapplied(key, now)[0];
    return oldest ? oldest.before : live();
  }

  /** Whether a lagging read of `key` still shows an older state at `now`. */
  stale(key: string, now: number): boolean {
    return this.unapplied(key, now).length > 0;
  }

  /** Keys with writes not yet applied at `now` (a read may show them though they are gone). */
  keys(now: number): string[] {
    return [...this.pending.keys()].filter((k) => this.unapplied(k, now).length > 0);
  }

  private unapplied(key: string, now: number): Array<{ at: number; before: V | undefined }> {
    const list = this.pending.get(key);
    if (!list) return [];
    const left = list.filter((w) => w.at + this.lagMs > now);
    if (left.length) this.pending.set(key, left);
    else this.pending.delete(key);
    return left;
  }
}
