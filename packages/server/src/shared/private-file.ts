import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';

/** Name of the local CLI key `dio up` keeps in its data directory (see auth/bootstrap.ts). */
export const LOCAL_KEY_FILE = 'cli.key';

/** Atomic write (temp file, fsync, rename) of a file only its owner can read. */
export function writePrivateFile(path: string, content: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}
