import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../shared/logger.js';
import type { SourceOffset } from '../../storage/port.js';
import { createSpoolOffsets } from './spool-offsets.js';
import type { DiskSpool } from './port.js';

const logger = silentLogger();
let dir: string;
let n = 0;

/** The two spool methods the offset store reads, driven by hand. */
function fakeSpool() {
  const hwm = new Map<string, { file_id: string; end_offset: number; seq: number }>();
  let nextSeq = 1;
  const spool: Pick<DiskSpool, 'highWater' | 'stats'> = {
    highWater: (s) => hwm.get(s),
    stats: () => ({ batches: 0, events: 0, bytes: 0, dropped_batches: 0, dropped_events: 0, rejected_batches: 0, rejected_events: 0, corrupt_skipped: 0, next_seq: nextSeq }),
  };
  return {
    spool,
    spooled(source: string, file_id: string, end_offset: number) {
      hwm.set(source, { file_id, end_offset, seq: nextSeq++ });
    },
  };
}

const HEAD = `10:${'a'.repeat(64)}`;
const off = (over: Partial<SourceOffset>): SourceOffset => ({ source: 's', file_id: '1:1', offset: 0, head_hash: HEAD, updated_at: '2026-01-01T00:00:00.000Z', ...over });

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'dio-offsets-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('spool offsets', () => {
  test('saved offsets persist across instances (atomic JSON file)', async () => {
    const path = join(dir, `o${++n}.json`);
    const { spool } = fakeSpool();
    await createSpoolOffsets({ path, spool, logger }).saveOffset(off({ offset: 42 }));
    const again = await createSpoolOffsets({ path, spool, logger }).getOffset('s');
    assert.deepEqual(again, off({ offset: 42 }));
    assert.equal(await createSpoolOffsets({ path, spool, logger }).getOffset('other'), undefined);
  });

  test('same file: the max of the saved offset and what was spooled (kill -9 before the save)', async () => {
    const f = fakeSpool();
    const store = createSpoolOffsets({ path: join(dir, `o${++n}.json`), spool: f.spool, logger });
    await store.saveOffset(off({ offset: 100 }));
    f.spooled('s', '1:1', 250);
    assert.deepEqual(await store.getOffset('s'), off({ offset: 250 }));
    await store.saveOffset(off({ offset: 400 })); // unparsed lines after the last spooled batch
    assert.equal((await store.getOffset('s'))?.offset, 400);
  });

  test('a file truncated in place (same inode): the later of saved offset and spooled record wins', async () => {
    const f = fakeSpool();
    const store = createSpoolOffsets({ path: join(dir, `o${++n}.json`), spool: f.spool, logger });
    f.spooled('s', '1:1', 9000);
    await store.saveOffset(off({ offset: 0 })); // copytruncate noticed: reading from 0 again
    assert.equal((await store.getOffset('s'))?.offset, 0);
    f.spooled('s', '1:1', 300);
    assert.deepEqual(await store.getOffset('s'), off({ offset: 300 }));
    await store.saveOffset(off({ offset: 5000 }));
    f.spooled('s', '1:1', 200); // truncated again after the save, new lines spooled, then kill -9
    const o = await store.getOffset('s');
    assert.equal(o?.offset, 200);
    assert.match(o?.head_hash ?? '', /^0:/, 'the old head hash belongs to the old content');
  });

  test('nothing saved yet: the spool alone says where to resume, with a head hash that matches any content', async () => {
    const f = fakeSpool();
    const store = createSpoolOffsets({ path: join(dir, `o${++n}.json`), spool: f.spool, logger });
    f.spooled('s', '7:9', 77);
    const o = await store.getOffset('s');
    assert.equal(o?.file_id, '7:9');
    assert.equal(o?.offset, 77);
    assert.match(o?.head_hash ?? "", /^0:[0-9a-f]{64}$/);
  });

  test('different files: whichever came later wins (rotation before or after the save)', async () => {
    const f = fakeSpool();
    const store = createSpoolOffsets({ path: join(dir, `o${++n}.json`), spool: f.spool, logger });
    f.spooled('s', 'old', 5000);
    await store.saveOffset(off({ file_id: 'new', offset: 0 })); // rotated, nothing of the new file spooled yet
    assert.deepEqual(await store.getOffset('s'), off({ file_id: 'new', offset: 0 }));
    f.spooled('s', 'newer', 30); // rotated again and spooled before the next save
    assert.equal((await store.getOffset('s'))?.file_id, 'newer');
    assert.equal((await store.getOffset('s'))?.offset, 30);
  });

  test('a damaged offsets file costs the saved positions, not a crash', async () => {
    const path = join(dir, `o${++n}.json`);
    writeFileSync(path, '{ not json');
    const f = fakeSpool();
    f.spooled('s', '1:1', 10);
    const store = createSpoolOffsets({ path, spool: f.spool, logger });
    assert.equal((await store.getOffset('s'))?.offset, 10);
    await store.saveOffset(off({ offset: 20 }));
    assert.equal((await createSpoolOffsets({ path, spool: f.spool, logger }).getOffset('s'))?.offset, 20);
  });
});
