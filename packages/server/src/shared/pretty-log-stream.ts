import { Writable } from 'node:stream';

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO ', 40: 'WARN ', 50: 'ERROR', 60: 'FATAL' };
const COLORS: Record<number, string> = { 40: '\x1b[33m', 50: '\x1b[31m', 60: '\x1b[31m' };
const SKIP = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'component']);

/**
 * Turns pino's JSON lines into one readable line each for a person at a terminal:
 * `12:00:01 WARN  [acquire] file missing, retrying  source=file:/var/log/auth.log retry_ms=2000`.
 * Used only when stderr is a TTY; pipes and files keep JSON for machines.
 */
export function createPrettyLogStream(out: NodeJS.WritableStream = process.stderr, color = true): Writable {
  let pending = '';
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      pending += chunk.toString('utf8');
      let nl;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        out.write(`${format(line, color)}\n`);
      }
      done();
    },
  });
}

export function format(line: string, color: boolean): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const level = typeof rec.level === 'number' ? rec.level : 30;
  const time = typeof rec.time === 'number' ? new Date(rec.time).toTimeString().slice(0, 8) : '';
  const comp = typeof rec.component === 'string' ? `[${rec.component}] ` : '';
  const extras = Object.entries(rec)
    .filter(([k]) => !SKIP.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? (v.includes('\n') ? `\n${v}` : v) : JSON.stringify(v)}`)
    .join(' ');
  const lvl = LEVELS[level] ?? String(level);
  const head = color && COLORS[level] ? `${COLORS[level]}${lvl}\x1b[0m` : lvl;
  return `${time} ${head} ${comp}${typeof rec.msg === 'string' ? rec.msg : ''}${extras ? `  ${extras}` : ''}`;
}
