import { buildProgram } from './program.js';

/** Exit codes: 0 ok, 1 failed to converge or provider failure, 2 invalid input (nothing touched). */
async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (e) {
    const { ValidationError } = await import('../errors/index.js');
    const { UsageError } = await import('./usage-error.js');
    const err = e as Error & { exitCode?: number; code?: string };
    if (err.code?.startsWith?.('commander.')) {
      // help and version exit 0; every usage error (unknown command or option, missing argument) is invalid input
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0 ? 0 : 2;
    }
    process.stderr.write(`error: ${err.message}\n`);
    if (process.env.SKYFLEET_DEBUG && err.stack) process.stderr.write(`${err.stack}\n`);
    if (e instanceof ValidationError || e instanceof UsageError) return 2;
    if (err.code === 'no_fleet') return 2; // no fleet to act on is invalid input too
    return 1;
  }
}

main(process.argv).then((code) => {
  process.exitCode = code;
});
