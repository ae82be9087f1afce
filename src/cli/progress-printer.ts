import type { Progress } from '../reconcile/progress.js';

/**
 * Live progress while apply waits: on a TTY, one line per target/zone rewritten in place; otherwise
 * plain lines, one each time the counts change.
 */
export function progressPrinter(stream: NodeJS.WriteStream): { update(p: Progress): void; end(): void } {
  let drawn = 0;
  const tty = stream.isTTY === true;
  const lines = (p: Progress) => [
    `${p.deployment} ${p.revision}: ready ${p.ready}/${p.replicas} (${p.phase})`,
    ...p.domains.map(
      (d) => `  ${`${d.target}/${d.zone}`.padEnd(28)} ready ${d.ready}/${d.desired}${d.old ? `   old ${d.old}` : ''}`,
    ),
  ];
  return {
    update(p) {
      const ls = lines(p);
      if (tty) {
        if (drawn) stream.write(`\x1b[${drawn}F\x1b[J`);
        stream.write(`${ls.join('\n')}\n`);
        drawn = ls.length;
      } else {
        stream.write(`${ls.join('\n')}\n`);
      }
    },
    end() {
      drawn = 0;
    },
  };
}
