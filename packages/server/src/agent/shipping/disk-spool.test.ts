import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { silentLogger } from '../../shared/logger.js';
import { openDiskSpool, type DiskSpool, type DiskSpoolOptions, type SpoolInput } from './disk-spool.js';

const logger = silentLogger();
let root: string;
let n = 0;
const newDir = () => join(root, `spool-${++n}`);
const open = (dir: string, o: Partial<DiskSpoolOptions> = {}) => openDiskSpool({ dir, agentId: 'web01', logger, ...o });
const ev = (i: number) => JSON.stringify({ '@timestamp': '2026-01-01T00:00:00.000Z', message: `line ${i}` });
const input = (from: number, count: number, over: Partial<SpoolInput> = {}): SpoolInput => ({ source: 'file:/var/log/a.log', fileId: '1:2', endOffset: (from + count) * 10, events: Array.from({ length: count }, (_, k) => ev(from + k)), ...over });
const segments = (dir: string) => readdirSync(dir).filter((f) => f.startsWith('seg-')).sort();

/** Reads and acks everything; returns the messages in order. */
async function drain(spool: DiskSpool): Promise<string[]> {
  const out: string[] = [];
  for (let r = await spool.peek(); r; r = await spool.peek()) {
    const body = JSON.parse(gunzipSync(r.body).toString()) as { batch_id: string; events: { message: string }[] };
    assert.equal(body.batch_id, r.batch_id);
    assert.equal(body.events.length, r.events);
    out.push(...body.events.map((e) => e.message));
    await spool.ack(r.seq);
  }
  return out;
}

before(() => {
  root = mkdtempSync(join(tmpdir(), 'dio-spool-'));
});
after(() => rmSync(root, { recursive: true, force: true }));

describe('disk spool', () => {
  test('records come back in order with gzip bodies carrying their batch id; ack removes the head', async () => {
    const spool = await open(newDir());
    const metas = await spool.append([input(0, 3), input(3, 2)]);
    await spool.append([input(5, 1)]);
    assert.deepEqual(metas.map((m) => m.seq), [1, 2]);
    assert.match(metas[0]!.batch_id, /^web01-[0-9a-f]{12}-1$/);
    assert.deepEqual({ ...spool.stats(), bytes: 0 }, { batches: 3, events: 6, bytes: 0, dropped_batches: 0, dropped_events: 0, rejected_batches: 0, rejected_events: 0, corrupt_skipped: 0, next_seq: 4 });
    const head = await spool.peek();
    assert.equal(head?.seq, 1);
    await spool.ack(1);
    await spool.ack(1); // repeated ack (e.g. after a drop) is harmless
    assert.equal((await spool.peek())?.seq, 2);
    assert.deepEqual(await drain(spool), ['line 3', 'line 4', 'line 5']);
    assert.equal(spool.stats().batches, 0);
    await spool.close();
  });

  test('survives reopen: records, order, ids and the ack position', async () => {
    const dir = newDir();
    let spool = await open(dir);
    await spool.append([input(0, 2)]);
    await spool.append([input(2, 2)]);
    const first = await spool.peek();
    await spool.ack(first!.seq);
    await spool.close();
    spool = await open(dir);
    const again = await spool.peek();
    assert.equal(again?.seq, 2);
    assert.equal(again?.batch_id.split('-')[1], first!.batch_id.split('-')[1], 'same epoch after reopen');
    assert.deepEqual(await drain(spool), ['line 2', 'line 3']);
    await spool.close();
  });

  test('seq is never reused: all acked, segments gone, reopen continues after the last id', async () => {
    const dir = newDir();
    let spool = await open(dir, { segmentBytes: 200 });
    for (let i = 0; i < 5; i++) await spool.append([input(i, 1)]);
    await drain(spool);
    await spool.close();
    spool = await open(dir, { segmentBytes: 200 });
    assert.equal(spool.stats().next_seq, 6);
    const [m] = await spool.append([input(9, 1)]);
    assert.equal(m!.seq, 6);
    assert.ok(segments(dir).length <= 2, `acked segments are removed: ${segments(dir).join(',')}`);
    await spool.close();
  });

  test('a wiped state dir gets a new epoch, so its ids never collide with the old ones', async () => {
    const dir = newDir();
    let spool = await open(dir);
    const [a] = await spool.append([input(0, 1)]);
    await spool.close();
    rmSync(dir, { recursive: true });
    spool = await open(dir);
    const [b] = await spool.append([input(0, 1)]);
    assert.equal(b!.seq, 1);
    assert.notEqual(a!.batch_id, b!.batch_id);
    await spool.close();
  });

  test('bounded by records and bytes: the oldest are dropped and counted, counts persist', async () => {
    const dir = newDir();
    let spool = await open(dir, { maxRecords: 3 });
    for (let i = 0; i < 5; i++) await spool.append([input(i * 2, 2)]);
    assert.deepEqual([spool.stats().batches, spool.stats().dropped_batches, spool.stats().dropped_events], [3, 2, 4]);
    await spool.close();
    spool = await open(dir, { maxRecords: 3 });
    assert.deepEqual([spool.stats().dropped_batches, spool.stats().dropped_events], [2, 4]);
    assert.deepEqual(await drain(spool), ['line 4', 'line 5', 'line 6', 'line 7', 'line 8', 'line 9']);
    await spool.close();

    const small = await open(newDir(), { maxBytes: 1000 });
    for (let i = 0; i < 20; i++) await small.append([input(i, 1)]);
    const s = small.stats();
    assert.ok(s.bytes <= 1000 && s.batches > 0 && s.dropped_batches === 20 - s.batches, JSON.stringify(s));
    assert.equal((await small.peek())?.seq, 20 - s.batches + 1, 'the newest survive');
    await small.close();
  });

  test('a torn last record (kill -9 / power cut mid-append) is discarded; earlier records and later appends are fine', async () => {
    const dir = newDir();
    let spool = await open(dir);
    await spool.append([input(0, 2)]);
    const [m] = await spool.append([input(2, 2)]);
    await spool.close();
    const seg = join(dir, segments(dir).at(-1)!);
    const size = readFileSync(seg).length;
    truncateSync(seg, size - Math.floor(m!.bytes / 2)); // second record cut in half
    spool = await open(dir);
    assert.equal(spool.stats().batches, 1);
    const [next] = await spool.append([input(10, 1)]);
    assert.equal(next!.seq, 2, 'the torn record was never acknowledged, its seq is free');
    assert.deepEqual(await drain(spool), ['line 0', 'line 1', 'line 10']);
    await spool.close();

    appendFileSync(join(dir, segments(dir).at(-1)!), Buffer.from('DSP1 garbage after the last record'));
    spool = await open(dir);
    assert.equal(spool.stats().batches, 0);
    await spool.append([input(20, 1)]);
    assert.deepEqual(await drain(spool), ['line 20']);
    await spool.close();
  });

  test('an append group is all or nothing: a group cut after some of its records is dropped whole', async () => {
    const dir = newDir();
    let spool = await open(dir);
    await spool.append([input(0, 1)]);
    const group = await spool.append([input(1, 1), input(2, 1), input(3, 1)]);
    await spool.close();
    const seg = join(dir, segments(dir).at(-1)!);
    truncateSync(seg, readFileSync(seg).length - group[2]!.bytes); // first two records intact
    spool = await open(dir);
    assert.deepEqual(await drain(spool), ['line 0']);
    await spool.close();
  });

  test('a damaged record in the middle is skipped and counted; the ones after it still ship', async () => {
    const dir = newDir();
    let spool = await open(dir);
    const metas = [];
    for (let i = 0; i < 3; i++) metas.push(...(await spool.append([input(i, 1)])));
    await spool.close();
    const seg = join(dir, segments(dir)[0]!);
    const buf = readFileSync(seg);
    buf[metas[0]!.bytes + 30]! ^= 0xff; // inside record 2
    writeFileSync(seg, buf);
    spool = await open(dir);
    assert.equal(spool.stats().corrupt_skipped, 1);
    assert.deepEqual(await drain(spool), ['line 0', 'line 2']);
    await spool.close();
  });

  test('segments roll at the size bound and are deleted once acked', async () => {
    const dir = newDir();
    const spool = await open(dir, { segmentBytes: 400 });
    for (let i = 0; i < 12; i++) await spool.append([input(i, 1)]);
    assert.ok(segments(dir).length >= 3, segments(dir).join(','));
    assert.equal((await drain(spool)).length, 12);
    assert.equal(segments(dir).length, 1, 'only the active segment is left');
    await spool.close();
  });

  test('reject sets the batch aside in a bounded rejected/ folder and moves on', async () => {
    const dir = newDir();
    const spool = await open(dir, { rejected: { maxBatches: 2 } });
    for (let i = 0; i < 4; i++) await spool.append([input(i, 1)]);
    for (let i = 0; i < 3; i++) {
      const r = await spool.peek();
      await spool.reject(r!.seq, { status: 400, reason: 'request.invalid: bad event' });
    }
    await spool.reject(99, { status: 400, reason: 'not the head: ignored' });
    assert.deepEqual([spool.stats().rejected_batches, spool.stats().rejected_events, spool.stats().batches], [3, 3, 1]);
    const files = readdirSync(join(dir, 'rejected')).sort();
    assert.equal(files.length, 4, files.join(','));
    const kept = files.find((f) => f.endsWith('.json.gz'))!;
    assert.match(gunzipSync(readFileSync(join(dir, 'rejected', kept))).toString(), /"line 1"/);
    assert.deepEqual(await drain(spool), ['line 3']);
    await spool.close();
  });

  test('high-water marks per source outlive their records', async () => {
    const dir = newDir();
    let spool = await open(dir);
    await spool.append([input(0, 1, { source: 'a', fileId: '1:1', endOffset: 100 }), input(0, 1, { source: 'b', fileId: '1:2', endOffset: 50 })]);
    await spool.append([input(1, 1, { source: 'a', fileId: '1:1', endOffset: 180 })]);
    await drain(spool);
    await spool.close();
    spool = await open(dir);
    assert.deepEqual(spool.highWater('a'), { file_id: '1:1', end_offset: 180, seq: 3 });
    assert.deepEqual(spool.highWater('b'), { file_id: '1:2', end_offset: 50, seq: 2 });
    assert.equal(spool.highWater('c'), undefined);
    await spool.close();
  });

  test('one process per spool dir; a lock left by a dead process is taken over', async () => {
    const dir = newDir();
    const spool = await open(dir);
    await assert.rejects(open(dir), { code: 'spool.locked' });
    await spool.close();
    writeFileSync(join(dir, 'spool.lock'), '999999999\n');
    const again = await open(dir);
    await again.close();
  });

  test('a damaged newest state slot falls back to the older one (a batch is re-sent, never lost)', async () => {
    const dir = newDir();
    let spool = await open(dir);
    await spool.append([input(0, 1)]);
    await spool.append([input(1, 1)]);
    await spool.ack(1); // generation 2 → slot 0
    await spool.close();
    const state = readFileSync(join(dir, 'spool.state'));
    state[20]! ^= 0xff;
    writeFileSync(join(dir, 'spool.state'), state);
    spool = await open(dir);
    assert.equal((await spool.peek())?.seq, 1, 'the older head pointer is used');
    await spool.close();
  });

  test('agent ids are checked; rejects oversized batches', async () => {
    await assert.rejects(openDiskSpool({ dir: newDir(), agentId: 'bad id!', logger }), { code: 'spool.invalid_config' });
    const spool = await open(newDir());
    await assert.rejects(spool.append([input(0, 5001)]), { code: 'spool.invalid_batch' });
    await spool.close();
    await assert.rejects(spool.append([input(0, 1)]), { code: 'spool.closed' });
  });
});
