import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

const REDACT = ['password', '*.password', 'token', '*.token', 'secret', '*.secret', 'authorization', '*.authorization', 'headers.authorization', 'api_key', '*.api_key'];

/** Root logger; components take `logger.child({ component })`. Level from config (default info). */
export function createLogger(opts: { level?: LevelWithSilent; destination?: NodeJS.WritableStream } = {}): Logger {
  const level = opts.level ?? 'info';
  return pino({ level, redact: { paths: REDACT, censor: '[redacted]' }, base: { pid: process.pid } }, opts.destination ?? process.stderr);
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
