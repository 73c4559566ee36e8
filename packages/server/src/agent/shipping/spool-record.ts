import { checksum } from './durable-fs.js';

/**
 * One spooled batch on disk:
 *
 *   0  magic "DSP1"          4 bytes
 *   4  header length (BE)    4 bytes
 *   8  body length (BE)      4 bytes
 *  12  checksum              8 bytes  sha256(bytes 0..11 + header + body)[0..8]
 *  20  header                UTF-8 JSON (RecordHeader)
 *  ..  body                  gzip of {"batch_id":…,"events":[…]}, sent as-is
 *
 * The lengths sit under the checksum too, so a flipped length bit cannot make a record "valid"
 * by pointing at other bytes.
 */
export const RECORD_MAGIC = Buffer.from('DSP1', 'latin1');
export const FRAME_PREFIX_BYTES = 20;
const MAX_HEADER_BYTES = 8192;
/** Far above any batch the encoder builds; a larger length is damage, not data. */
const MAX_BODY_BYTES = 64 * 1024 * 1024;

export interface RecordHeader {
  seq: number;
  batch_id: string;
  /** Events in the body. */
  events: number;
  /** Acquisition source id (the tail's id). */
  source: string;
  file_id?: string;
  /** Byte offset in the file just after the last line whose events are in this group. */
  end_offset?: number;
  created_at: string;
  /** False on every record of an append group but the last: a group without its end was torn. */
  group_end: boolean;
}

export function encodeRecord(header: RecordHeader, body: Uint8Array): Buffer {
  const h = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.allocUnsafe(FRAME_PREFIX_BYTES);
  RECORD_MAGIC.copy(prefix, 0);
  prefix.writeUInt32BE(h.length, 4);
  prefix.writeUInt32BE(body.length, 8);
  checksum(prefix.subarray(0, 12), h, body).copy(prefix, 12);
  return Buffer.concat([prefix, h, body]);
}

export interface DecodedRecord {
  header: RecordHeader;
  /** Whole frame length. */
  len: number;
  body: Buffer;
}

/** The record starting at `pos`, or undefined when the bytes there are not a whole valid record. */
export function decodeRecordAt(buf: Buffer, pos: number): DecodedRecord | undefined {
  if (buf.length - pos < FRAME_PREFIX_BYTES || buf.compare(RECORD_MAGIC, 0, 4, pos, pos + 4) !== 0) return undefined;
  const hlen = buf.readUInt32BE(pos + 4);
  const blen = buf.readUInt32BE(pos + 8);
  if (hlen > MAX_HEADER_BYTES || blen > MAX_BODY_BYTES) return undefined;
  const len = FRAME_PREFIX_BYTES + hlen + blen;
  if (buf.length - pos < len) return undefined;
  const hStart = pos + FRAME_PREFIX_BYTES;
  const h = buf.subarray(hStart, hStart + hlen);
  const body = buf.subarray(hStart + hlen, pos + len);
  if (!checksum(buf.subarray(pos, pos + 12), h, body).equals(buf.subarray(pos + 12, pos + 20))) return undefined;
  const header = parseHeader(h);
  return header && { header, len, body };
}

function parseHeader(bytes: Buffer): RecordHeader | undefined {
  let v: unknown;
  try {
    v = JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const h = v as Record<string, unknown>;
  const count = (x: unknown, min: number) => typeof x === 'number' && Number.isSafeInteger(x) && x >= min;
  if (!count(h.seq, 1) || !count(h.events, 1) || typeof h.batch_id !== 'string' || typeof h.source !== 'string') return undefined;
  if (typeof h.created_at !== 'string' || typeof h.group_end !== 'boolean') return undefined;
  if (h.file_id !== undefined && typeof h.file_id !== 'string') return undefined;
  if (h.end_offset !== undefined && !count(h.end_offset, 0)) return undefined;
  return h as unknown as RecordHeader;
}

export interface ScannedRecord {
  pos: number;
  len: number;
  header: RecordHeader;
}

export interface SegmentScan {
  records: ScannedRecord[];
  /** Damaged byte ranges between valid records (skipped). */
  corrupt: { pos: number; len: number }[];
  /** End of the last valid record: bytes after it are a torn or damaged tail. */
  validEnd: number;
}

/**
 * Reads every valid record of a segment. Damage in the middle is skipped by searching for the
 * next magic that starts a record whose checksum verifies, so one bad sector costs only the
 * records in it. A damaged tail (the write cut short by kill -9 or a power cut) ends the scan.
 */
export function scanSegment(buf: Buffer): SegmentScan {
  const records: ScannedRecord[] = [];
  const corrupt: SegmentScan['corrupt'] = [];
  let pos = 0;
  let validEnd = 0;
  while (pos < buf.length) {
    const r = decodeRecordAt(buf, pos);
    if (r) {
      records.push({ pos, len: r.len, header: r.header });
      pos = validEnd = pos + r.len;
      continue;
    }
    const next = nextValidRecord(buf, pos + 1);
    if (next < 0) break;
    corrupt.push({ pos, len: next - pos });
    pos = next;
  }
  return { records, corrupt, validEnd };
}

function nextValidRecord(buf: Buffer, from: number): number {
  for (let at = buf.indexOf(RECORD_MAGIC, from); at >= 0; at = buf.indexOf(RECORD_MAGIC, at + 1)) {
    if (decodeRecordAt(buf, at)) return at;
  }
  return -1;
}
