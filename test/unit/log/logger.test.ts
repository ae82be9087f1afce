import { describe, expect, it } from 'vitest';
import { createPinoLogger } from '../../../src/log/logger.js';

describe('JSON logs', () => {
  it('are one JSON object per line with secret fields redacted wherever they sit', async () => {
    const lines: string[] = [];
    const log = await createPinoLogger('info', { write: (l) => lines.push(l) });
    log.info(
      {
        deployment: 'web',
        secrets: { TOKEN: 's3cr3t-1' },
        headers: { authorization: 'Bearer s3cr3t-2' },
        env: { password: 's3cr3t-3' },
      },
      'applied',
    );
    log.warn({ slice: { token: 's3cr3t-4' } }, 'retry');
    log.debug({ deployment: 'web' }, 'below the level');
    expect(lines).toHaveLength(2);
    const first = JSON.parse(lines[0]!);
    expect(first).toMatchObject({
      level: 30,
      deployment: 'web',
      msg: 'applied',
      secrets: '<redacted>',
      headers: { authorization: '<redacted>' },
      env: { password: '<redacted>' },
    });
    expect(JSON.parse(lines[1]!)).toMatchObject({ level: 40, slice: { token: '<redacted>' } });
    for (const secret of ['s3cr3t-1', 's3cr3t-2', 's3cr3t-3', 's3cr3t-4']) expect(lines.join('')).not.toContain(secret);
  });
});
