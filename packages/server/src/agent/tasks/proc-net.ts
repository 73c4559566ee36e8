import { readdir, readFile, readlink } from 'node:fs/promises';
import { endianness } from 'node:os';
import { join } from 'node:path';
import { formatIpv4, formatIpv6 } from '@dio/protocol';

/**
 * Listening sockets from /proc/net/{tcp,tcp6,udp,udp6}, with the owning process found through
 * /proc/<pid>/fd. This is deliberately the task runner's own small parser (the telemetry
 * collector has another) so the two can evolve separately until they are merged.
 */

export type SocketProtocol = 'tcp' | 'tcp6' | 'udp' | 'udp6';
export interface ListeningSocket {
  protocol: SocketProtocol;
  address: string;
  port: number;
  pid?: number;
  process?: string;
}

const PROTOCOLS: readonly SocketProtocol[] = ['tcp', 'tcp6', 'udp', 'udp6'];
/** TCP_LISTEN; for UDP, TCP_CLOSE (7) is how an unconnected bound socket shows. */
const LISTEN_STATE: Record<SocketProtocol, string> = { tcp: '0A', tcp6: '0A', udp: '07', udp6: '07' };
const MAX_SOCKETS = 10_000;
/** Bounds the walk of /proc/<pid>/fd on hosts with huge fd tables. */
const MAX_FD_LINKS = 500_000;

const LITTLE = endianness() === 'LE';

/**
 * One 32-bit word as the kernel prints it (%08X of the in-memory value): on a little-endian
 * host the address bytes appear reversed.
 */
function word(hex: string, at: number): number {
  const v = parseInt(hex.slice(at, at + 8), 16);
  if (!LITTLE) return v >>> 0;
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}

/** "0100007F:0016" → ['127.0.0.1', 22]; 32 hex digits for v6. Undefined when malformed. */
export function decodeProcAddress(s: string): [string, number] | undefined {
  const m = /^([0-9A-Fa-f]{8}|[0-9A-Fa-f]{32}):([0-9A-Fa-f]{4})$/.exec(s);
  if (m === null) return undefined;
  const hex = m[1]!;
  const port = parseInt(m[2]!, 16);
  if (hex.length === 8) return [formatIpv4(word(hex, 0)), port];
  const w = new Uint32Array([word(hex, 0), word(hex, 8), word(hex, 16), word(hex, 24)]);
  return [formatIpv6(w), port];
}

/** Listening rows of one /proc/net file, with their socket inode. */
export function parseProcNet(text: string, protocol: SocketProtocol): { socket: ListeningSocket; inode: string }[] {
  const out: { socket: ListeningSocket; inode: string }[] = [];
  const lines = text.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const f = lines[i]!.trim().split(/\s+/);
    if (f.length < 10 || f[3] !== LISTEN_STATE[protocol]) continue;
    const local = decodeProcAddress(f[1]!);
    if (local === undefined) continue;
    out.push({ socket: { protocol, address: local[0], port: local[1] }, inode: f[9]! });
  }
  return out;
}

/** socket inode → owning pid and command name, for the inodes asked about only. */
async function socketOwners(procDir: string, wanted: Set<string>): Promise<Map<string, { pid: number; process?: string }>> {
  const owners = new Map<string, { pid: number; process?: string }>();
  if (wanted.size === 0) return owners;
  const pids = (await readdir(procDir).catch(() => [] as string[])).filter((n) => /^\d{1,10}$/.test(n));
  let links = 0;
  for (const pid of pids) {
    const fdDir = join(procDir, pid, 'fd');
    // Processes come and go while we look, and others' fds need root: skip what we cannot read.
    const fds = await readdir(fdDir).catch(() => [] as string[]);
    let comm: string | undefined;
    for (const fd of fds) {
      if (++links > MAX_FD_LINKS) return owners;
      const target = await readlink(join(fdDir, fd)).catch(() => '');
      const m = /^socket:\[(\d+)\]$/.exec(target);
      if (m === null || !wanted.has(m[1]!) || owners.has(m[1]!)) continue;
      comm ??= (await readFile(join(procDir, pid, 'comm'), 'utf8').catch(() => '')).trim().slice(0, 256);
      owners.set(m[1]!, comm === '' ? { pid: Number(pid) } : { pid: Number(pid), process: comm });
      if (owners.size === wanted.size) return owners;
    }
  }
  return owners;
}

/** Listening TCP and bound UDP sockets of the host under `root` ('/' normally), deduplicated and sorted. */
export async function listeningSockets(root: string): Promise<{ sockets: ListeningSocket[]; truncated: boolean }> {
  const procDir = join(root, 'proc');
  const rows: { socket: ListeningSocket; inode: string }[] = [];
  for (const p of PROTOCOLS) {
    const text = await readFile(join(procDir, 'net', p), 'utf8').catch(() => '');
    rows.push(...parseProcNet(text, p));
  }
  const owners = await socketOwners(procDir, new Set(rows.map((r) => r.inode).filter((i) => i !== '0')));
  const seen = new Set<string>();
  const sockets: ListeningSocket[] = [];
  for (const { socket, inode } of rows) {
    const owner = owners.get(inode);
    const s = owner === undefined ? socket : { ...socket, ...owner };
    const key = `${s.protocol} ${s.address} ${s.port} ${s.pid ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    sockets.push(s);
  }
  sockets.sort((a, b) => a.protocol.localeCompare(b.protocol) || a.port - b.port || a.address.localeCompare(b.address));
  return { sockets: sockets.slice(0, MAX_SOCKETS), truncated: sockets.length > MAX_SOCKETS };
}
