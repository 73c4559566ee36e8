import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, isIP, type Server, type Socket } from 'node:net';
import { AppError, errorMessage } from '../../shared/app-error.js';
import { systemClock, type Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/logger.js';
import { LineSplitter, newSplitterCounts } from './line-splitter.js';
import { newLineOut } from './line-batcher.js';
import type { LineBatch, LineSink, LineSource, SourceState, SourceStatus } from './port.js';
import { ErrorReporter } from './supervisor.js';
import { SyslogFramer } from './syslog-framer.js';

export interface SyslogSourceOptions {
  /** UDP receiver; one message per datagram (several if it holds \n-separated lines). */
  udp?: { host?: string; port: number };
  /** TCP receiver; RFC 6587 octet counting or LF framing, detected per frame. */
  tcp?: { host?: string; port: number; maxConnections?: number; idleTimeoutMs?: number; maxMessageBytes?: number };
  logger: Logger;
  clock?: Clock;
  /** Source id (default "syslog"). */
  id?: string;
  /** UDP lines waiting for a busy sink beyond this are dropped (UDP cannot be paused). */
  maxQueuedLines?: number;
}

export interface SyslogSource extends LineSource {
  /** Bound ports (useful with port 0), known once `start` resolved. */
  addresses(): { udp?: number; tcp?: number };
}

/** UDP payloads cannot exceed this; it also bounds each UDP line. */
const MAX_DATAGRAM = 65_535;

/**
 * Syslog receiver. Lines are delivered raw, `<PRI>` included, with `peer` = remote address; the
 * parse stage reads the envelope. Binds 127.0.0.1 unless a host is passed (the CLI decides).
 * Sink calls are serialised across all connections; a TCP connection is paused while its batch
 * is being processed.
 */
export function createSyslogSource(opts: SyslogSourceOptions): SyslogSource {
  if (!opts.udp && !opts.tcp) throw new AppError('acquire.invalid_config', 'syslog: configure udp and/or tcp', { status: 400 });
  const id = opts.id ?? 'syslog';
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger.child({ component: 'acquire', source: id });
  const reporter = new ErrorReporter(logger);
  const tcpOpts = opts.tcp && {
    host: checkHost(opts.tcp.host ?? '127.0.0.1'),
    port: checkInt(opts.tcp.port, 0, 65_535, 'tcp.port'),
    maxConnections: checkInt(opts.tcp.maxConnections ?? 256, 1, 65_535, 'tcp.maxConnections'),
    idleTimeoutMs: checkInt(opts.tcp.idleTimeoutMs ?? 300_000, 1, 2 ** 31 - 1, 'tcp.idleTimeoutMs'),
    maxMessageBytes: checkInt(opts.tcp.maxMessageBytes ?? 65_536, 64, 16 * 1024 * 1024, 'tcp.maxMessageBytes'),
  };
  const udpOpts = opts.udp && { host: checkHost(opts.udp.host ?? '127.0.0.1'), port: checkInt(opts.udp.port, 0, 65_535, 'udp.port') };
  const maxQueued = checkInt(opts.maxQueuedLines ?? 100_000, 1, 10_000_000, 'maxQueuedLines');

  const counts = newSplitterCounts();
  const errors: Record<string, number> = {};
  const count = (reason: string, n = 1) => (errors[reason] = (errors[reason] ?? 0) + n);
  const udpSplitter = new LineSplitter({ maxLineBytes: MAX_DATAGRAM, counts });
  let state: SourceState = 'starting';
  let error: string | undefined;
  let linesRead = 0;
  let bytesRead = 0;
  let lastReadAt: number | undefined;
  let sink: LineSink | undefined;
  let tail: Promise<void> = Promise.resolve();
  let udp: UdpSocket | undefined;
  let server: Server | undefined;
  const sockets = new Set<Socket>();
  const bound: { udp?: number; tcp?: number } = {};
  // UDP lines per peer, handed over once per event-loop turn.
  let udpPending = new Map<string, string[]>();
  let udpQueued = 0;
  let udpScheduled = false;

  /** Runs sink calls one after another; a failed batch is counted and dropped (it cannot be re-read). */
  function deliver(batch: LineBatch): Promise<void> {
    const run = async (): Promise<void> => {
      try {
        await sink!(batch);
        linesRead += batch.lines.length;
      } catch (e) {
        count('sink_failed', batch.lines.length);
        reporter.report(e, 'sink failed: syslog lines dropped');
      }
    };
    tail = tail.then(run);
    return tail;
  }

  function onDatagram(msg: Buffer, peer: string): void {
    bytesRead += msg.length;
    lastReadAt = clock.now();
    const out = newLineOut();
    udpSplitter.reset(0);
    udpSplitter.push(msg, out);
    udpSplitter.flush(out);
    if (out.lines.length === 0) return;
    if (udpQueued + out.lines.length > maxQueued) {
      count('queue_full', out.lines.length);
      return;
    }
    udpQueued += out.lines.length;
    const q = udpPending.get(peer);
    if (q) q.push(...out.lines);
    else udpPending.set(peer, out.lines);
    if (!udpScheduled) {
      udpScheduled = true;
      setImmediate(flushUdp);
    }
  }

  function flushUdp(): void {
    udpScheduled = false;
    const pending = udpPending;
    udpPending = new Map();
    const receivedAt = clock.now();
    for (const [peer, lines] of pending) {
      void deliver({ source: id, lines, receivedAt, peer }).then(() => {
        udpQueued -= lines.length;
      });
    }
  }

  function onConnection(sock: Socket): void {
    const peer = sock.remoteAddress ?? 'unknown';
    const framer = new SyslogFramer(tcpOpts!.maxMessageBytes, counts);
    sockets.add(sock);
    sock.setTimeout(tcpOpts!.idleTimeoutMs, () => {
      count('idle_timeout');
      sock.destroy();
    });
    sock.on('data', (chunk: Buffer) => {
      bytesRead += chunk.length;
      lastReadAt = clock.now();
      const out = newLineOut();
      const ok = framer.push(chunk, out);
      if (!ok) {
        count('frame_too_long');
        logger.warn({ peer }, 'syslog frame longer than maxMessageBytes: connection closed');
        sock.destroy();
      }
      if (out.lines.length === 0) return;
      sock.pause();
      void deliver({ source: id, lines: out.lines, receivedAt: lastReadAt, peer }).then(() => {
        if (!sock.destroyed) sock.resume();
      });
    });
    sock.on('close', () => {
      sockets.delete(sock);
      const out = newLineOut();
      if (!framer.end(out)) count('truncated_frame');
      if (out.lines.length > 0) void deliver({ source: id, lines: out.lines, receivedAt: clock.now(), peer });
    });
    sock.on('error', (e) => {
      count('connection_error');
      logger.debug({ peer, err: errorMessage(e) }, 'syslog connection error');
    });
  }

  async function bindUdp(o: { host: string; port: number }): Promise<void> {
    // A bigger receive buffer rides out sink hiccups; the kernel caps it at net.core.rmem_max.
    const s = createSocket({ type: isIP(o.host) === 6 ? 'udp6' : 'udp4', recvBufferSize: 4 * 1024 * 1024 });
    udp = s;
    s.on('message', (msg, rinfo) => onDatagram(msg, rinfo.address));
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind(o.port, o.host, () => {
        s.off('error', reject);
        resolve();
      });
    });
    s.on('error', (e) => {
      count('udp_error');
      reporter.report(e, 'syslog udp socket error');
    });
    bound.udp = s.address().port;
  }

  async function bindTcp(o: NonNullable<typeof tcpOpts>): Promise<void> {
    const srv = createServer({ pauseOnConnect: false, noDelay: true }, onConnection);
    server = srv;
    srv.maxConnections = o.maxConnections;
    srv.on('drop', () => count('connection_limit'));
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen({ port: o.port, host: o.host }, () => {
        srv.off('error', reject);
        resolve();
      });
    });
    srv.on('error', (e) => {
      count('tcp_error');
      reporter.report(e, 'syslog tcp server error');
    });
    const a = srv.address();
    if (a && typeof a === 'object') bound.tcp = a.port;
  }

  async function closeAll(): Promise<void> {
    for (const s of sockets) s.destroy();
    sockets.clear();
    const srv = server;
    server = undefined;
    if (srv) await new Promise<void>((r) => srv.close(() => r()));
    const u = udp;
    udp = undefined;
    if (u) await new Promise<void>((r) => u.close(() => r()));
  }

  return {
    id,
    async start(s: LineSink): Promise<void> {
      if (sink) throw new AppError('acquire.already_started', `${id} already started`, { status: 409 });
      sink = s;
      try {
        if (udpOpts) await bindUdp(udpOpts);
        if (tcpOpts) await bindTcp(tcpOpts);
      } catch (e) {
        await closeAll();
        state = 'failed';
        error = errorMessage(e);
        const where = `${udpOpts ? `udp ${udpOpts.host}:${udpOpts.port}` : ''}${udpOpts && tcpOpts ? ', ' : ''}${tcpOpts ? `tcp ${tcpOpts.host}:${tcpOpts.port}` : ''}`;
        throw new AppError('acquire.bind_failed', `syslog: cannot listen on ${where}: ${error}`, { status: 500, cause: e });
      }
      state = 'running';
      logger.info({ ...bound }, 'syslog receiver listening');
    },
    async stop(): Promise<void> {
      await closeAll();
      if (udpScheduled) flushUdp();
      await tail;
      state = 'stopped';
    },
    status(): SourceStatus {
      const st: SourceStatus = { id, kind: tcpOpts ? 'syslog-tcp' : 'syslog-udp', state, linesRead, bytesRead, dropped: { ...counts, ...errors } };
      if (error !== undefined) st.error = error;
      if (lastReadAt !== undefined) st.lastReadAt = lastReadAt;
      return st;
    },
    addresses: () => ({ ...bound }),
  };
}

function checkHost(h: string): string {
  if (isIP(h) === 0) throw new AppError('acquire.invalid_config', `syslog: host must be an IP address, got "${h}"`, { status: 400 });
  return h;
}

function checkInt(v: number, min: number, max: number, name: string): number {
  if (!Number.isInteger(v) || v < min || v > max) throw new AppError('acquire.invalid_config', `syslog: ${name} must be an integer in ${min}..${max}, got ${v}`, { status: 400 });
  return v;
}
