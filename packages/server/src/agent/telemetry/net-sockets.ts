import { formatIpv4, formatIpv6 } from '@dio/protocol';

/**
 * /proc/net/{tcp,tcp6,udp,udp6}: listening sockets and TCP connection counts. The tables can
 * hold hundreds of thousands of lines on a busy server, so lines are walked in place (no split):
 * only the state is read for every line, addresses and inodes only for listeners.
 */

export type SocketProtocol = 'tcp' | 'tcp6' | 'udp' | 'udp6';

/** Kernel TCP states, indexed by the hex `st` value (include/net/tcp_states.h). */
export const TCP_STATES = ['UNKNOWN', 'ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT1', 'FIN_WAIT2', 'TIME_WAIT', 'CLOSE', 'CLOSE_WAIT', 'LAST_ACK', 'LISTEN', 'CLOSING', 'NEW_SYN_RECV'] as const;
const TCP_LISTEN = 0x0a;
const UDP_UNCONNECTED = 0x07;

const W6 = new Uint32Array(4);

/** One 32-bit word as the kernel printed it (`%08X` of the in-memory value, so host byte order). */
function word(hex: string, at: number, littleEndian: boolean): number {
  const v = Number.parseInt(hex.slice(at, at + 8), 16);
  if (!littleEndian) return v >>> 0;
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}

/**
 * The address in a /proc/net hex field: 8 hex digits for IPv4, 32 for IPv6 (four words, each in
 * host byte order — reversed on little-endian machines). Undefined for anything else.
 */
export function decodeHexAddress(hex: string, littleEndian = true): string | undefined {
  if (!/^[0-9A-Fa-f]+$/.test(hex)) return undefined;
  if (hex.length === 8) return formatIpv4(word(hex, 0, littleEndian));
  if (hex.length !== 32) return undefined;
  for (let i = 0; i < 4; i++) W6[i] = word(hex, i * 8, littleEndian);
  return formatIpv6(W6);
}

/** "0100007F:0016" → { address: '127.0.0.1', port: 22 } (the port is printed in plain big-endian hex). */
export function decodeHexEndpoint(s: string, littleEndian = true): { address: string; port: number } | undefined {
  const colon = s.indexOf(':');
  if (colon < 0) return undefined;
  const address = decodeHexAddress(s.slice(0, colon), littleEndian);
  const port = Number.parseInt(s.slice(colon + 1), 16);
  if (address === undefined || !Number.isInteger(port) || port < 0 || port > 65535) return undefined;
  return { address, port };
}

export interface RawListener {
  protocol: SocketProtocol;
  address: string;
  port: number;
  inode: number;
}

export interface SocketScan {
  listening: RawListener[];
  /** TCP sockets by state name (tcp and tcp6 together). */
  byState: Record<string, number>;
  /** Listeners skipped because `maxListeners` was reached. */
  truncated: number;
}

export const newSocketScan = (): SocketScan => ({ listening: [], byState: {}, truncated: 0 });

const isSpace = (c: number) => c === 32 || c === 9;

/**
 * Adds one table's sockets to `acc`. TCP: state LISTEN. UDP: unconnected (state CLOSE, remote
 * 0:0) — UDP has no listen state, an unconnected bound socket is what receives datagrams.
 * Duplicates (SO_REUSEPORT workers) are kept once per protocol/address/port.
 */
export function scanSocketTable(text: string, protocol: SocketProtocol, acc: SocketScan, opts: { littleEndian?: boolean; maxListeners?: number; seen?: Set<string> } = {}): void {
  const le = opts.littleEndian ?? true;
  const max = opts.maxListeners ?? 2048;
  const seen = opts.seen ?? new Set(acc.listening.map((l) => `${l.protocol} ${l.address} ${l.port}`));
  const tcp = protocol === 'tcp' || protocol === 'tcp6';
  const starts: number[] = new Array<number>(10).fill(0);
  const ends: number[] = new Array<number>(10).fill(0);
  let pos = text.indexOf('\n') + 1; // header line
  while (pos > 0 && pos < text.length) {
    let eol = text.indexOf('\n', pos);
    if (eol < 0) eol = text.length;
    // Field boundaries of the first 10 fields: sl local rem st queues timer retr uid timeout inode.
    let n = 0;
    let i = pos;
    while (n < 10 && i < eol) {
      while (i < eol && isSpace(text.charCodeAt(i))) i++;
      if (i >= eol) break;
      starts[n] = i;
      while (i < eol && !isSpace(text.charCodeAt(i))) i++;
      ends[n++] = i;
    }
    pos = eol + 1;
    if (n < 10) continue;
    const st = Number.parseInt(text.slice(starts[3], ends[3]), 16);
    if (tcp) {
      const name = TCP_STATES[st] ?? `STATE_${st}`;
      acc.byState[name] = (acc.byState[name] ?? 0) + 1;
      if (st !== TCP_LISTEN) continue;
    } else {
      if (st !== UDP_UNCONNECTED) continue;
      if (!/^0+:0000$/.test(text.slice(starts[2], ends[2]))) continue;
    }
    const local = decodeHexEndpoint(text.slice(starts[1], ends[1]), le);
    if (!local) continue;
    const key = `${protocol} ${local.address} ${local.port}`;
    if (seen.has(key)) continue;
    if (acc.listening.length >= max) {
      acc.truncated++;
      continue;
    }
    seen.add(key);
    acc.listening.push({ protocol, ...local, inode: Number(text.slice(starts[9], ends[9])) || 0 });
  }
}

/** The `connections` section of a sample: every TCP socket except listeners counts in `total`. */
export function connectionCounts(byState: Record<string, number>) {
  let total = 0;
  for (const [state, n] of Object.entries(byState)) if (state !== 'LISTEN') total += n;
  return { established: byState.ESTABLISHED ?? 0, time_wait: byState.TIME_WAIT ?? 0, total, by_state: { ...byState } };
}
