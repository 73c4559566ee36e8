import * as os from 'node:os';
import type { HostInfo } from '@dio/protocol';
import type { ProcReader } from './proc-reader.js';
import { parseMeminfo, parseProcStat } from './system-stats.js';

/** The parts of node:os the host description needs (injected so tests can describe any host). */
export interface SystemInfo {
  hostname(): string;
  machine(): string;
  networkInterfaces(): NodeJS.Dict<os.NetworkInterfaceInfo[]>;
}
export const nodeSystemInfo: SystemInfo = { hostname: () => os.hostname(), machine: () => os.machine(), networkInterfaces: () => os.networkInterfaces() };

/** KEY=value lines; values may be quoted with " or ' and use backslash escapes. */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    let v = m[2]!;
    if (v.length >= 2 && (v[0] === '"' || v[0] === "'") && v.endsWith(v[0])) v = v.slice(1, -1).replace(/\\(.)/g, '$1');
    out[m[1]!] = v;
  }
  return out;
}

/** NAME (falling back to PRETTY_NAME) and VERSION_ID: kept apart so "name version" reads well. */
export function osOf(release: Record<string, string>): HostInfo['os'] {
  const name = (release.NAME || release.PRETTY_NAME || 'Linux').slice(0, 128);
  const version = release.VERSION_ID || release.VERSION;
  return version ? { name, version: version.slice(0, 128) } : { name };
}

/**
 * Non-loopback addresses of the host. Link-local IPv6 (fe80::/10) is left out: every interface
 * has one and it identifies nothing beyond the local link.
 */
export function hostAddresses(ifaces: NodeJS.Dict<os.NetworkInterfaceInfo[]>, max = 64): string[] {
  const out = new Set<string>();
  for (const list of Object.values(ifaces)) {
    for (const a of list ?? []) {
      if (a.internal || /^fe[89ab]/i.test(a.address)) continue;
      out.add(a.address.slice(0, 64));
      if (out.size >= max) return [...out];
    }
  }
  return [...out];
}

export function readHostInfo(deps: { procRoot: string; etcRoot: string; reader: ProcReader; system: SystemInfo }): HostInfo {
  const { procRoot, reader, system } = deps;
  const read = (p: string) => reader.read(p, 64 * 1024);
  const hostname = (read(`${procRoot}/sys/kernel/hostname`)?.trim() || system.hostname() || 'localhost').slice(0, 255);
  const release = read(`${procRoot}/sys/kernel/osrelease`)?.trim() || os.release();
  const version = read(`${procRoot}/sys/kernel/version`)?.trim();
  // os-release lives in /etc, with /usr/lib/os-release as the vendor fallback (os-release(5)).
  const osRelease = read(`${deps.etcRoot}/os-release`) ?? (deps.etcRoot === '/etc' ? read('/usr/lib/os-release') : undefined);
  const stat = parseProcStat(read(`${procRoot}/stat`) ?? '');
  const mem = parseMeminfo(read(`${procRoot}/meminfo`) ?? '');
  const info: HostInfo = {
    hostname,
    os: osOf(parseOsRelease(osRelease ?? '')),
    kernel: (version ? `${release} ${version}` : release).slice(0, 256),
    arch: system.machine().slice(0, 32) || process.arch,
    addresses: hostAddresses(system.networkInterfaces()),
  };
  if (stat.cores.length > 0) info.cpus = Math.min(4096, stat.cores.length);
  if (mem.totalBytes > 0) info.memory_bytes = mem.totalBytes;
  if (stat.btime) info.boot_time = new Date(stat.btime * 1000).toISOString();
  return info;
}
