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

/** A pino JSON logger to stderr with secret values redacted. Loaded lazily. */
export async function createPinoLogger(
  level = process.env.SKYFLEET_LOG_LEVEL ?? 'warn',
  destination?: { write(line: string): void },
): Promise<Logger> {
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
