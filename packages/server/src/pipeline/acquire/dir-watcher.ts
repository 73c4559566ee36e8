import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

/**
 * Watches the directory of `path` and calls `onChange` for events about that name. The
 * directory, not the file: an inode watch follows the file when it is renamed away and never
 * sees the new file created at the path. Returns undefined when the directory cannot be watched
 * (missing, unsupported filesystem); callers keep polling. `onGone` runs if the watch breaks.
 */
export function watchDirOf(path: string, onChange: () => void, onGone: () => void): FSWatcher | undefined {
  const name = basename(path);
  try {
    const w = watch(dirname(path), { persistent: false }, (_ev, f) => {
      if (f === null || f === name) onChange();
    });
    w.on('error', () => {
      w.close();
      onGone();
    });
    return w;
  } catch {
    return undefined;
  }
}
