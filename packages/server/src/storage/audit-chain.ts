import { createHash } from 'node:crypto';
import type { AuditRecord } from './port.js';

/** prev_hash of the first audit record. */
export const GENESIS_HASH = '0'.repeat(64);

/** The fields a record's hash covers (everything but the hashes themselves). */
export type AuditHashed = Pick<AuditRecord, 'seq' | 'at' | 'actor' | 'action' | 'target' | 'origin' | 'before' | 'after'>;

/**
 * JSON with object keys sorted recursively, so the same value always hashes the same whatever
 * order its keys were built in. Follows JSON.stringify otherwise: toJSON is honoured, undefined
 * and functions are dropped from objects (null in arrays), non-finite numbers become null.
 */
export function canonicalJson(value: unknown): string {
  const out = canonical(value);
  return out === undefined ? 'null' : out;
}

function canonical(v: unknown): string | undefined {
  if (v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function') {
    v = (v as { toJSON(): unknown }).toJSON();
  }
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
      return Number.isFinite(v) ? JSON.stringify(v) : 'null';
    case 'boolean':
      return v ? 'true' : 'false';
    case 'bigint':
      throw new TypeError('canonicalJson: bigint is not representable in JSON');
    case 'object': {
      if (v === null) return 'null';
      if (Array.isArray(v)) return `[${v.map((x) => canonical(x) ?? 'null').join(',')}]`;
      const obj = v as Record<string, unknown>;
      const parts: string[] = [];
      for (const k of Object.keys(obj).sort()) {
        const s = canonical(obj[k]);
        if (s !== undefined) parts.push(`${JSON.stringify(k)}:${s}`);
      }
      return `{${parts.join(',')}}`;
    }
    default:
      return undefined; // undefined, function, symbol
  }
}

/** sha256 (hex) of the previous hash followed by the canonical JSON of the record's fields. */
export function auditHash(prevHash: string, r: AuditHashed): string {
  const body = canonicalJson({ seq: r.seq, at: r.at, actor: r.actor, action: r.action, target: r.target, origin: r.origin, before: r.before, after: r.after });
  return createHash('sha256').update(prevHash).update(body).digest('hex');
}

/**
 * Checks records (in seq order) form an unbroken chain: consecutive seqs, each prev_hash equal to
 * the previous record's hash, and each hash recomputed from its content. Without `anchor` the
 * chain must start at seq 1 with the genesis hash, so deleting the first record is caught; with
 * it, the first record must follow the anchor (to verify a tail). `brokenAt` is the seq of the
 * first record that fails (for a deletion: the record after the gap). Truncating the newest
 * records cannot be seen from the chain alone — compare the head hash with one kept elsewhere.
 */
export function verifyAuditChain(records: readonly AuditRecord[], opts: { anchor?: { seq: number; hash: string } } = {}): { ok: boolean; brokenAt?: number } {
  let prevSeq = opts.anchor?.seq ?? 0;
  let prevHash = opts.anchor?.hash ?? GENESIS_HASH;
  for (const r of records) {
    if (r.seq !== prevSeq + 1 || r.prev_hash !== prevHash || auditHash(r.prev_hash, r) !== r.hash) {
      return { ok: false, brokenAt: r.seq };
    }
    prevSeq = r.seq;
    prevHash = r.hash;
  }
  return { ok: true };
}
