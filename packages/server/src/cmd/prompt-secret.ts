import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { AppError } from '../shared/app-error.js';

/**
 * Reads a secret: from a terminal without echo, otherwise the first line of standard input
 * (`echo "$PW" | dio login …`, so secrets never need to be command-line arguments, which other
 * users can see in `ps`).
 */
export async function readSecret(prompt: string): Promise<string> {
  if (!process.stdin.isTTY) {
    let data = '';
    for await (const chunk of process.stdin) {
      data += String(chunk);
      if (data.includes('\n') || data.length > 4096) break;
    }
    const line = data.split('\n')[0]!.replace(/\r$/, '');
    if (!line) throw new AppError('cli.no_password', 'no password on standard input', { status: 400 });
    return line;
  }
  let muted = false;
  const out = new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (!muted) process.stderr.write(chunk);
      cb();
    },
  });
  const rl = createInterface({ input: process.stdin, output: out, terminal: true });
  try {
    return await new Promise<string>((resolve) => {
      rl.question(prompt, (answer) => {
        process.stderr.write('\n');
        resolve(answer);
      });
      muted = true;
    });
  } finally {
    rl.close();
  }
}

/** A new password, typed twice on a terminal. */
export async function readNewSecret(prompt: string): Promise<string> {
  const a = await readSecret(prompt);
  if (!process.stdin.isTTY) return a;
  const b = await readSecret('again: ');
  if (a !== b) throw new AppError('cli.password_mismatch', 'the two passwords differ', { status: 400 });
  return a;
}
