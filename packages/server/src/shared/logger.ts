import { pino, type Logger, type LevelWithSilent } from 'pino';
import { createPrettyLogStream } from './pretty-log-stream.js';

export type { Logger };

const REDACT = ['password', '*.password', 'token', '*.token', 'secret', '*.secret', 'authorization', '*.authorization', 'headers.authorization', 'api_key', '*.api_key'];

/**
 * Root logger; components take `logger.child({ component })`. Level from config (default info).
 * JSON lines on stderr, or one readable line per record when stderr is a terminal
 * (DIO_LOG_FORMAT=json|pretty overrides).
 */
export function createLogger(opts: { level?: LevelWithSilent; destination?: NodeJS.WritableStream } = {}): Logger {
  const level = opts.level ?? 'info';
  const format = process.env.DIO_LOG_FORMAT ?? (process.stderr.isTTY ? 'pretty' : 'json');
  const dest = opts.destination ?? (format === 'pretty' ? createPrettyLogStream(process.stderr, process.stderr.isTTY === true) : process.stderr);
  return pino({ level, redact: { paths: REDACT, censor: '[redacted]' }, base: { pid: process.pid } }, dest);
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
