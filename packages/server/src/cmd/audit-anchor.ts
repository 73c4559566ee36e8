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
 * chain cannot reveal by itself. Written every 5 s when the head moved, and at stop. It only
 * moves forward along the chain: when the record it names is gone or differs (newest records
 * deleted, or the database swapped), it is kept as the evidence `dio audit verify` reports.
 */
export function createAuditAnchor(store: Store, dataDir: string, logger: Logger) {
  const path = join(dataDir, AUDIT_ANCHOR_FILE);
  let last = '';
  let anchored = readAuditAnchor(dataDir);
  let warned = false;
  let timer: NodeJS.Timeout | undefined;
  async function write(): Promise<void> {
    const head = await store.auditHead();
    const text = JSON.stringify(head);
    if (text === last) return;
    if (anchored && anchored.seq > 0) {
      const [rec] = await store.listAudit({ since_seq: anchored.seq - 1, limit: 1 });
      if (rec?.seq !== anchored.seq || rec.hash !== anchored.hash) {
        if (!warned) logger.error({ anchor: anchored, head }, `the audit chain no longer holds its recorded head (seq ${anchored.seq}): records were deleted or rewritten; keeping ${path} as evidence (see dio audit verify)`);
        warned = true;
        last = text;
        return;
      }
    }
    writePrivateFile(path, `${text}\n`);
    last = text;
    anchored = head;
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
