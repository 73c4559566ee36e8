import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** The sockets a process owns, read from /proc: how the agent tests prove an agent never listens. */
export interface Socket {
  proto: string;
  local: string;
  remote: string;
  state: string;
}

const hexAddr = (h: string): string => {
  const [ip, port] = h.split(':');
  const p = parseInt(port!, 16);
  if (ip!.length === 8) {
    const b = Buffer.from(ip!, 'hex');
    return `${b[3]}.${b[2]}.${b[1]}.${b[0]}:${p}`;
  }
  return `[${ip}]:${p}`;
};

/**
 * The TCP/UDP sockets a process owns: the inodes of its fd → socket:[inode] links, looked up in
 * the socket tables of its network namespace (/proc/<pid>/net/{tcp,tcp6,udp,udp6}).
 */
export function socketsOf(pid: number): Socket[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // closed meanwhile
    }
  }
  const out: Socket[] = [];
  for (const proto of ['tcp', 'tcp6', 'udp', 'udp6']) {
    const lines = readFileSync(`/proc/${pid}/net/${proto}`, 'utf8').split('\n').slice(1);
    for (const line of lines) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || !inodes.has(f[9]!)) continue;
      out.push({ proto, local: hexAddr(f[1]!), remote: hexAddr(f[2]!), state: f[3]! });
    }
  }
  return out;
}

/** Listening sockets: TCP in state LISTEN (0A), UDP bound without a peer. */
export const isListening = (s: Socket): boolean => (s.proto.startsWith('tcp') ? s.state === '0A' : /:0$/.test(s.remote));
