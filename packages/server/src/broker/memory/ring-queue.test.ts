import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { RingQueue } from './ring-queue.js';

test('RingQueue behaves like an array FIFO across growth, wrap-around and shrinking', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 3000 })), { maxLength: 40 }), (ops) => {
      const q = new RingQueue<number>();
      const model: number[] = [];
      let next = 0;
      for (const [push, n] of ops) {
        for (let i = 0; i < n; i++) {
          if (push) {
            q.push(next);
            model.push(next++);
          } else {
            assert.equal(q.shift(), model.shift());
          }
        }
        assert.equal(q.length, model.length);
        assert.equal(q.peek(), model[0]);
      }
      const seen: number[] = [];
      q.forEach((x) => seen.push(x));
      assert.deepEqual(seen, model);
      assert.deepEqual(q.drain(), model);
      assert.equal(q.length, 0);
    }),
    { numRuns: 200 },
  );
});
