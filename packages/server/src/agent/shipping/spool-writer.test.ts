import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSourceSpec } from './source-spec.js';
import type { SpoolInput, SpoolRecordMeta } from './port.js';
import { SpoolWriter } from './spool-writer.js';

/** Records what would be appended; `fail` makes the next append reject. */
function fakeSpool() {
  const groups: SpoolInput[][] = [];
  let seq = 0;
  let fail: Error | undefined;
  return {
    groups,
    failNext(e: Error) {
      fail = e;
    },
    spool: {
      append(group: readonly SpoolInput[]): Promise<SpoolRecordMeta[]> {
        if (fail) {
          const e = fail;
          fail = undefined;
          return Promise.reject(e);
        }
        groups.push([...group]);
        return Promise.resolve(group.map((g) => ({ seq: ++seq, batch_id: `t-${seq}`, events: g.events.length, source: g.source, created_at: '', bytes: 0 })));
      },
    },
  };
}

describe('spool writer', () => {
  test('splits a LineBatch by count and bytes; every part carries its end offset; one group per flush', async () => {
    const f = fakeSpool();
    const w = new SpoolWriter({ spool: f.spool, maxEvents: 3, maxBatchBytes: 1024, maxWaitMs: 0 });
    const big = 'x'.repeat(600);
    await w.submit({ source: 'a', fileId: '1:1', endOffset: 99, events: ['1', '2', '3', '4', '5', '6', '7'] });
    await w.submit({ source: 'a', fileId: '1:1', endOffset: 120, events: [`"${big}"`, `"${big}"`, '8'] });
    assert.deepEqual(f.groups.map((g) => g.map((r) => r.events.length)), [[3, 3, 1], [1, 2]]);
    assert.ok(f.groups.flat().every((r) => r.fileId === '1:1' && (r.endOffset === 99 || r.endOffset === 120)));
  });

  test('waits up to maxWaitMs for company, then spools everything pending in one append', async () => {
    const f = fakeSpool();
    const w = new SpoolWriter({ spool: f.spool, maxEvents: 100, maxBatchBytes: 1 << 20, maxWaitMs: 50 });
    const t0 = performance.now();
    await Promise.all([w.submit({ source: 'a', events: ['1'] }), w.submit({ source: 'b', events: ['2', '3'] })]);
    assert.ok(performance.now() - t0 >= 40);
    assert.deepEqual(f.groups.map((g) => g.map((r) => r.source)), [['a', 'b']]);
    await w.submit({ source: 'a', events: [] }); // nothing to spool: resolves at once
    assert.equal(f.groups.length, 1);
  });

  test('a full batch or drain() spools at once; a failed append fails every sink of the group', async () => {
    const f = fakeSpool();
    const w = new SpoolWriter({ spool: f.spool, maxEvents: 2, maxBatchBytes: 1 << 20, maxWaitMs: 60_000 });
    await w.submit({ source: 'a', events: ['1', '2'] });
    f.failNext(new Error('disk full'));
    const p = w.submit({ source: 'a', events: ['3'] });
    w.drain();
    await assert.rejects(p, /disk full/);
    await w.submit({ source: 'a', events: ['4'] });
    assert.equal(f.groups.length, 2);
  });
});

describe('--source PATH[:TYPE]', () => {
  test('type after the last colon when it looks like one; else auto', () => {
    assert.deepEqual(parseSourceSpec('/var/log/auth.log:sshd'), { path: '/var/log/auth.log', type: 'sshd' });
    assert.deepEqual(parseSourceSpec('/var/log/auth.log'), { path: '/var/log/auth.log', type: 'auto' });
    assert.deepEqual(parseSourceSpec('/data/app:2024.log'), { path: '/data/app:2024.log', type: 'auto' });
    assert.deepEqual(parseSourceSpec('/x/a:b:auto'), { path: '/x/a:b', type: 'auto' });
    assert.throws(() => parseSourceSpec(''), { code: 'ship.invalid_source' });
    assert.throws(() => parseSourceSpec('/a.log:nope', new Set(['sshd', 'auto'])), { code: 'ship.invalid_source' });
  });
});
