import { setMaxListeners } from 'node:events';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TaskParams, TaskResult } from '@dio/protocol';
import type { RunnerContext } from './policy.js';
import { addressesOf, checkTargets } from './scope.js';
import { abortError, invalidParams, taskFailed } from './task-errors.js';

type PortscanResult = TaskResult<'portscan'>;

const MAX_OPEN = 100_000;
/** Local resource errors: the probe says nothing about the target, so it is retried. */
const RESOURCE_ERRORS = new Set(['EMFILE', 'ENFILE', 'EAGAIN', 'EADDRNOTAVAIL', 'ENOBUFS']);
const RESOURCE_RETRIES = 5;

/** "22,80,1000-1010" → sorted distinct port numbers. @throws task.invalid_params on a bad spec. */
export function parsePortSpec(spec: string): number[] {
  const seen = new Uint8Array(65536);
  for (const part of spec.split(',')) {
    const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(part);
    const lo = Number(m?.[1]);
    const hi = m?.[2] === undefined ? lo : Number(m[2]);
    if (m === null || lo < 1 || hi > 65535 || lo > hi) throw invalidParams(`bad port range ${JSON.stringify(part.slice(0, 16))}: ports are 1-65535, ranges low-high`);
    seen.fill(1, lo, hi + 1);
  }
  const out: number[] = [];
  for (let p = 1; p < 65536; p++) if (seen[p] === 1) out.push(p);
  return out;
}

type Outcome = 'open' | 'closed' | 'resource';

/** One TCP connect: open when the handshake completes; refused, unreachable or silent is not open. */
function probe(host: string, port: number, timeoutMs: number, signal: AbortSignal): Promise<Outcome> {
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    let done = false;
    const finish = (o: Outcome): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      sock.destroy();
      resolve(o);
    };
    const onAbort = (): void => finish('closed');
    const timer = setTimeout(() => finish('closed'), timeoutMs);
    signal.addEventListener('abort', onAbort, { once: true });
    sock.once('connect', () => finish('open'));
    sock.once('error', (e: NodeJS.ErrnoException) => finish(RESOURCE_ERRORS.has(e.code ?? '') ? 'resource' : 'closed'));
  });
}

/**
 * The built-in TCP connect scan: no external tool, no privileges. Targets are checked against
 * scan_targets and capped at 4096 addresses; (address, port) pairs are generated lazily and
 * probed by `concurrency` workers, each connection bounded by `timeout_ms`. Open ports come back
 * sorted by target order, then port. The signal stops new probes and closes the ones in flight.
 */
export async function runPortscan(params: TaskParams<'portscan'>, ctx: RunnerContext): Promise<PortscanResult> {
  const t0 = Date.now();
  const targets = checkTargets(params.targets, ctx.policy.scan_targets);
  const ports = parsePortSpec(params.ports);
  const hosts = [...addressesOf(targets)];
  // Stops every worker when one fails, as well as on the task's own cancel/timeout.
  const stop = new AbortController();
  const signal = AbortSignal.any([ctx.signal, stop.signal]);
  // Every in-flight probe listens on it: up to `concurrency` listeners by design.
  setMaxListeners(params.concurrency + 8, signal);
  let failure: Error | undefined;
  const found: [number, number][] = [];
  let truncated = false;

  function* pairs(): Generator<[number, number]> {
    for (let h = 0; h < hosts.length; h++) for (const p of ports) yield [h, p];
  }
  const work = pairs();

  const scan = async (): Promise<void> => {
    for (let next = work.next(); !next.done && !signal.aborted; next = work.next()) {
      const [h, port] = next.value;
      let outcome = await probe(hosts[h]!, port, params.timeout_ms, signal);
      for (let i = 0; outcome === 'resource' && i < RESOURCE_RETRIES && !signal.aborted; i++) {
        await sleep(50 * (i + 1));
        outcome = await probe(hosts[h]!, port, params.timeout_ms, signal);
      }
      if (outcome === 'resource') throw taskFailed(`portscan ran out of local sockets probing ${hosts[h]}:${port}; lower the concurrency`);
      if (outcome !== 'open') continue;
      if (found.length < MAX_OPEN) found.push([h, port]);
      else truncated = true;
    }
  };
  const worker = async (): Promise<void> => {
    try {
      await scan();
    } catch (e) {
      failure ??= e instanceof Error ? e : new Error(String(e));
      stop.abort();
    }
  };
  const workers = Math.min(params.concurrency, hosts.length * ports.length);
  await Promise.all(Array.from({ length: workers }, worker));
  if (failure !== undefined) throw failure;
  if (ctx.signal.aborted) throw abortError(ctx.signal, 'portscan');

  found.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const result: PortscanResult = {
    open: found.map(([h, port]) => ({ host: hosts[h]!, port })),
    hosts_scanned: hosts.length,
    ports_scanned: ports.length,
    duration_ms: Date.now() - t0,
  };
  if (truncated) result.truncated = true;
  return result;
}
