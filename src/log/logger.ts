import { ValidationError } from '../errors/index.js';

/** The logging surface skyfleet uses (pino's), so a pino logger can be passed straight in. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** Keys whose values pino blanks out wherever they appear in a log line. */
export const REDACT_PATHS = [
  'secrets',
  '*.secrets',
  'password',
  '*.password',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.secureValue',
];

/** pino's levels, most to least verbose, and `silent`. */
const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/** A pino JSON logger to stderr with secret values redacted. Loaded lazily. */
export async function createPinoLogger(
  level = process.env.SKYFLEET_LOG_LEVEL ?? 'warn',
  destination?: { write(line: string): void },
): Promise<Logger> {
  if (!LEVELS.includes(level)) {
    throw new ValidationError([
      {
        path: 'SKYFLEET_LOG_LEVEL',
        message: `expected one of ${LEVELS.join(', ')}, got ${JSON.stringify(level)}: set SKYFLEET_LOG_LEVEL to one, or unset it (warn)`,
      },
    ]);
  }
  const { pino } = await import('pino');
  const log = pino(
    { level, redact: { paths: REDACT_PATHS, censor: '<redacted>' } },
    destination ?? pino.destination(2),
  );
  return {
    debug: (o, m) => log.debug(o, m),
    info: (o, m) => log.info(o, m),
    warn: (o, m) => log.warn(o, m),
    error: (o, m) => log.error(o, m),
  };
}
