import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DIO_BIN } from './util.js';

export async function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
  });
}

export interface DioProcess {
  child: ChildProcess;
  url: string;
  dir: string;
  readyMs: number;
  stop(): Promise<void>;
}

/** Starts `dio up` with a config written to a temp dir; resolves when /api/v1/health answers. */
export async function startDio(yaml: string): Promise<DioProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'dio-bench-'));
  const port = await freePort();
  writeFileSync(join(dir, 'dio.yaml'), `data_dir: ${join(dir, 'data')}\nlog_level: warn\napi:\n  listen: 127.0.0.1:${port}\n${yaml}`);
  const t0 = performance.now();
  const child = spawn(process.execPath, [DIO_BIN, 'up', '--config', join(dir, 'dio.yaml')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`dio up exited: ${err}`);
    try {
      const r = await fetch(`${url}/api/v1/health`);
      if (r.status < 500 || r.status === 503) break;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  const readyMs = performance.now() - t0;
  return {
    child,
    url,
    dir,
    readyMs,
    stop: () =>
      new Promise<void>((res) => {
        child.once('exit', () => res());
        child.kill('SIGTERM');
      }),
  };
}

export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024;
}
