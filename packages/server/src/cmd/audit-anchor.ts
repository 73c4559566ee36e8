import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writePrivateFile } from '../shared/private-file.js';
import { errorMessage } from '../shared/app-error.js';
import type { Logger } from '../shared/logger.js';
import type { Store } from '../storage/port.js';

export const AUDIT_ANCHOR_FILE = 'audit-head.json';
const EVERY_MS = 5000;

/**
 * Keeps the audit chain's head (seq, hash) in <data_dir>/audit-head.json, outside the database,
 * so `dio audit verify` can tell when the newest records were deleted — the one change a hash
 * chain cannot reveal by itself. Written every 5 s when the head moved, and at stop.
 */
export function createAuditAnchor(store: Store, dataDir: string, logger: Logger) {
  const path = join(dataDir, AUDIT_ANCHOR_FILE);
  let last = '';
  let timer: NodeJS.Timeout | undefined;
  async function write(): Promise<void> {
    const head = await store.auditHead();
    const text = JSON.stringify(head);
    if (text === last) return;
    writePrivateFile(path, `${text}\n`);
    last = text;
  }
  const tick = () => {
    write().catch((e: unknown) => logger.warn({ err: errorMessage(e) }, 'could not write the audit head'));
  };
  return {
    read: () => readAuditAnchor(dataDir),
    start() {
      tick();
      timer = setInterval(tick, EVERY_MS);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      await write().catch(() => undefined);
    },
  };
}

export function readAuditAnchor(dataDir: string): { seq: number; hash: string } | undefined {
  try {
    const v = JSON.parse(readFileSync(join(dataDir, AUDIT_ANCHOR_FILE), 'utf8')) as { seq?: unknown; hash?: unknown };
    return typeof v.seq === 'number' && typeof v.hash === 'string' ? { seq: v.seq, hash: v.hash } : undefined;
  } catch {
    return undefined;
  }
}
