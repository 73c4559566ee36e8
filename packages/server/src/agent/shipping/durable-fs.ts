import { createHash } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { AppError } from '../../shared/app-error.js';
import { dirname } from 'node:path';
import { errnoCode } from '../../pipeline/acquire/supervisor.js';

/**
 * Makes a directory entry (a created, renamed or removed file) durable. Without it a file that
 * was fsynced can still vanish after a power cut because its name never reached the disk.
 */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Replaces `path` atomically: readers see the old or the new content, never a mix, even after
 * kill -9 or a power cut (tmp file + fsync + rename + fsync of the directory).
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  await fsyncDir(dirname(path));
}

/** Removes a file; a file already gone is not an error (crash recovery may repeat a removal). */
export async function unlinkIfExists(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (e) {
    if (errnoCode(e) !== 'ENOENT') throw e;
  }
}

/**
 * First 8 bytes of sha256 over the parts: the record checksum. sha256 rather than zlib.crc32
 * because crc32 needs Node ≥ 20.15 and the engines field allows 20.10; next to gzip its cost
 * does not show.
 */
export function checksum(...parts: Uint8Array[]): Buffer {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest().subarray(0, 8);
}

/**
 * Claims a directory for this process with a pid file, so two agents never write one spool.
 * A pid file left by a process that is gone (kill -9) is taken over.
 */
export async function acquirePidLock(path: string): Promise<() => Promise<void>> {
  for (let attempt = 0; ; attempt++) {
    try {
      const fh = await open(path, 'wx', 0o600);
      await fh.writeFile(`${process.pid}\n`);
      await fh.close();
      return () => unlinkIfExists(path);
    } catch (e) {
      if (errnoCode(e) !== 'EEXIST' || attempt > 0) throw e;
    }
    const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
    if (Number.isSafeInteger(pid) && pid > 0 && processAlive(pid)) {
      throw new AppError('spool.locked', `${path}: in use by process ${pid} (another DIO agent on this state directory?); stop it first (or remove the file if that process is not a DIO agent)`, { status: 409 });
    }
    await unlinkIfExists(path);
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return errnoCode(e) === 'EPERM';
  }
}
