import { readdirSync, readlinkSync } from 'node:fs';
import { yieldToLoop } from './proc-reader.js';

export interface SocketOwnersOptions {
  procRoot: string;
  /** At most this many fd symlinks are read per scan (a database can hold tens of thousands). */
  maxFdsPerScan?: number;
  /** A scan for newly seen socket inodes runs at most every this many samples. */
  rescanEvery?: number;
  /** Inodes a scan could not place (kernel sockets, other users' processes without root) are retried this rarely. */
  retryEvery?: number;
}

/**
 * Maps socket inodes to the pid holding them by reading /proc/[pid]/fd symlinks (`socket:[N]`).
 * That scan is the most expensive read of a sample, so results are cached across samples and a
 * scan only runs when a listener appeared that was never looked for, stopping as soon as every
 * wanted inode is found. Without root only the agent user's own processes can be inspected.
 */
export function createSocketOwners(opts: SocketOwnersOptions) {
  const maxFds = opts.maxFdsPerScan ?? 65_536;
  const rescanEvery = Math.max(1, opts.rescanEvery ?? 3);
  const retryEvery = Math.max(rescanEvery, opts.retryEvery ?? 60);
  let owners = new Map<number, number>();
  let tried = new Set<number>();
  let sinceScan = Infinity;
  let sinceRetry = 0;
  let scans = 0;

  async function scan(wanted: Set<number>, pids: readonly number[]): Promise<void> {
    scans++;
    let budget = maxFds;
    let sinceYield = 0;
    for (const pid of pids) {
      if (wanted.size === 0 || budget <= 0) break;
      const dir = `${opts.procRoot}/${pid}/fd`;
      let fds: string[];
      try {
        fds = readdirSync(dir);
      } catch {
        continue; // exited, or not ours to inspect
      }
      for (const fd of fds) {
        if (--budget < 0) break;
        let link: string;
        try {
          link = readlinkSync(`${dir}/${fd}`);
        } catch {
          continue;
        }
        if (!link.startsWith('socket:[')) continue;
        const inode = Number(link.slice(8, -1));
        if (!wanted.delete(inode)) continue;
        owners.set(inode, pid);
        tried.delete(inode);
      }
      sinceYield += fds.length;
      if (sinceYield >= 512) {
        sinceYield = 0;
        await yieldToLoop();
      }
    }
  }

  return {
    /** Owners of `inodes` (inode → pid) for the ones that could be placed; `pids` are the candidates. */
    async resolve(inodes: Iterable<number>, pids: readonly number[]): Promise<ReadonlyMap<number, number>> {
      const current = new Set<number>();
      for (const i of inodes) if (i > 0) current.add(i);
      // Forget closed sockets so the cache stays as small as the listener list.
      owners = new Map([...owners].filter(([i]) => current.has(i)));
      tried = new Set([...tried].filter((i) => current.has(i)));
      sinceScan++;
      sinceRetry++;
      const retry = sinceRetry >= retryEvery;
      const unknown = new Set([...current].filter((i) => !owners.has(i) && (retry || !tried.has(i))));
      if (unknown.size > 0 && sinceScan >= rescanEvery) {
        for (const i of unknown) tried.add(i);
        await scan(unknown, pids);
        sinceScan = 0;
        if (retry) sinceRetry = 0;
      }
      return owners;
    },
    stats: () => ({ cached: owners.size, unresolved: tried.size, scans }),
  };
}
export type SocketOwners = ReturnType<typeof createSocketOwners>;
