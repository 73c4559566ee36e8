import { GENESIS_HASH, verifyAuditChain } from './audit-chain.js';
import type { Store } from './port.js';

export interface AuditVerification {
  ok: boolean;
  records: number;
  head: { seq: number; hash: string };
  broken_at?: number;
  reason?: string;
}

const PAGE = 10_000;

/**
 * Walks the whole audit chain page by page and checks every link (see audit-chain.ts). With an
 * `anchor` — a (seq, hash) written down earlier outside the database, e.g. the data directory's
 * audit-head.json — it also catches the one thing a chain cannot show by itself: its newest
 * records deleted (the chain must still contain the anchor record, with that hash).
 */
export async function verifyStoredAudit(store: Pick<Store, 'listAudit'>, anchor?: { seq: number; hash: string }): Promise<AuditVerification> {
  let prev = { seq: 0, hash: GENESIS_HASH };
  let records = 0;
  let anchorSeen = anchor === undefined || anchor.seq === 0;
  for (;;) {
    const page = await store.listAudit({ since_seq: prev.seq, limit: PAGE });
    if (!page.length) break;
    const r = verifyAuditChain(page, { anchor: prev });
    if (!r.ok) {
      const at = r.brokenAt!;
      const i = page.findIndex((x) => x.seq === at);
      const gap = at !== (i === 0 ? prev.seq : page[i - 1]!.seq) + 1;
      const reason = gap ? `records are missing before seq ${at} (deleted)` : `record ${at} does not match its hash or its predecessor (edited)`;
      return { ok: false, records: records + i, head: i === 0 ? prev : { seq: page[i - 1]!.seq, hash: page[i - 1]!.hash }, broken_at: at, reason };
    }
    for (const x of page) if (anchor && x.seq === anchor.seq) anchorSeen = x.hash === anchor.hash;
    records += page.length;
    const last = page[page.length - 1]!;
    prev = { seq: last.seq, hash: last.hash };
    if (page.length < PAGE) break;
  }
  if (!anchorSeen) {
    return { ok: false, records, head: prev, broken_at: anchor!.seq, reason: anchor!.seq > prev.seq ? `the newest records were deleted: the chain ends at seq ${prev.seq} but seq ${anchor!.seq} was recorded earlier` : `record ${anchor!.seq} differs from the recorded head` };
  }
  return { ok: true, records, head: prev };
}
