import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Writable } from 'node:stream';
import { ManualClock } from '../../shared/clock.js';
import { createLogger } from '../../shared/logger.js';
import { runBrokerContract } from '../broker.case.test.js';
import type { Broker, BrokerMessage } from '../port.js';
import { createMemoryBroker } from './memory-broker.js';

runBrokerContract('memory', () => Promise.resolve(createMemoryBroker()));

const enc = new TextEncoder();
const dec = new TextDecoder();
const bytes = (s: string) => enc.encode(s);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

const code = (c: string, status?: number) => (e: unknown) => {
  const err = e as { code?: string; status?: number };
  assert.equal(err.code, c, String(e));
  if (status !== undefined) assert.equal(err.status, status);
  return true;
};

async function setup(b: Broker, opts: { maxMessages?: number; maxBytes?: number; ackWaitMs?: number; maxInFlight?: number } = {}) {
  await b.ensureStream({ name: 'S', subjects: ['s.>'], maxMessages: opts.maxMessages ?? 1000, maxBytes: opts.maxBytes });
  await b.ensureConsumer({ stream: 'S', durable: 'd', ackWaitMs: opts.ackWaitMs, maxInFlight: opts.maxInFlight });
}

describe('memory broker specifics', () => {
  test('instances are independent (no global bus)', async () => {
    const a = createMemoryBroker();
    const b = createMemoryBroker();
    await setup(a);
    await assert.rejects(b.publish('s.x', bytes('x')), code('broker.no_stream'));
    await setup(b);
    await a.publish('s.x', bytes('x'));
    assert.equal((await b.consumerInfo('S', 'd')).pending, 0);
    assert.equal((await a.consumerInfo('S', 'd')).pending, 1);
    await Promise.all([a.close(), b.close()]);
  });

  test('waiting publishers are admitted in FIFO order', async () => {
    const b = createMemoryBroker();
    await setup(b, { maxMessages: 1 });
    await b.publish('s.x', bytes('m0'));
    const order: string[] = [];
    const waiting = ['m1', 'm2', 'm3'].map((m) => b.publish('s.x', bytes(m), { publishTimeoutMs: 10_000 }).then(() => order.push(m)));
    const got: string[] = [];
    await b.subscribe('S', 'd', (m) => {
      got.push(dec.decode(m.data));
      m.ack();
    });
    await Promise.all(waiting);
    await waitFor('4 delivered', () => got.length === 4);
    assert.deepEqual(order, ['m1', 'm2', 'm3']);
    assert.deepEqual(got, ['m0', 'm1', 'm2', 'm3']);
    await b.close();
  });

  test('maxBytes bounds the stream; oversize messages reject with broker.too_large', async () => {
    const b = createMemoryBroker({ maxPayloadBytes: 500 });
    await setup(b, { maxBytes: 100 });
    await b.publish('s.x', new Uint8Array(60));
    await assert.rejects(b.publish('s.x', new Uint8Array(60), { publishTimeoutMs: 50 }), code('broker.full', 503));
    await assert.rejects(b.publish('s.x', new Uint8Array(101)), code('broker.too_large', 413));
    await b.ensureStream({ name: 'S', subjects: ['s.>'], maxMessages: 1000 });
    await assert.rejects(b.publish('s.x', new Uint8Array(501)), code('broker.too_large', 413));
    await b.publish('s.x', new Uint8Array(60), { publishTimeoutMs: 50 }); // larger bound admits it
    await b.close();
  });

  test('msgIds expire after the duplicate window (clock-driven)', async () => {
    const clock = new ManualClock();
    const b = createMemoryBroker({ clock, duplicateWindowMs: 1000 });
    await setup(b);
    const r1 = await b.publish('s.x', bytes('a'), { msgId: 'k' });
    clock.advance(999);
    assert.deepEqual(await b.publish('s.x', bytes('a'), { msgId: 'k' }), { seq: r1.seq, duplicate: true });
    clock.advance(2);
    assert.equal((await b.publish('s.x', bytes('a'), { msgId: 'k' })).duplicate, false);
    await b.close();
  });

  test('the number of waiting publishers is bounded', async () => {
    const b = createMemoryBroker({ maxWaitingPublishers: 2 });
    await setup(b, { maxMessages: 1 });
    await b.publish('s.x', bytes('0'));
    const w = [b.publish('s.x', bytes('1')), b.publish('s.x', bytes('2'))];
    await assert.rejects(b.publish('s.x', bytes('3')), code('broker.full'));
    await b.close();
    for (const p of w) await assert.rejects(p, code('broker.closed'));
  });

  test('deleteConsumer releases its messages and admits waiting publishers', async () => {
    const b = createMemoryBroker();
    await setup(b, { maxMessages: 1 });
    await b.publish('s.x', bytes('0'));
    const waiting = b.publish('s.x', bytes('1'), { publishTimeoutMs: 10_000 });
    await b.deleteConsumer('S', 'd');
    await waiting;
    await assert.rejects(b.consumerInfo('S', 'd'), code('broker.no_consumer'));
    await b.deleteConsumer('S', 'd'); // idempotent
    await b.close();
  });

  test('deleteStream rejects waiting publishers and stops routing', async () => {
    const b = createMemoryBroker();
    await setup(b, { maxMessages: 1 });
    await b.publish('s.x', bytes('0'));
    const waiting = b.publish('s.x', bytes('1'), { publishTimeoutMs: 10_000 });
    await b.deleteStream('S');
    await assert.rejects(waiting, code('broker.no_stream'));
    await assert.rejects(b.publish('s.x', bytes('2')), code('broker.no_stream'));
    await b.deleteStream('S');
    await b.close();
  });

  test('stop() waits for a running handler before handing messages back', async () => {
    const b = createMemoryBroker();
    await setup(b);
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const seen: BrokerMessage[] = [];
    const sub = await b.subscribe('S', 'd', async (m) => {
      seen.push(m);
      await gate;
      m.ack();
    });
    await b.publish('s.x', bytes('x'));
    await waitFor('delivery', () => seen.length === 1);
    let stopped = false;
    const stopping = sub.stop().then(() => (stopped = true));
    await sleep(50);
    assert.equal(stopped, false);
    open();
    await stopping;
    const info = await b.consumerInfo('S', 'd');
    assert.equal(info.inFlight, 0, 'the running handler acked, nothing handed back');
    assert.equal(info.redelivered, 0);
    await b.close();
  });

  test('stale deliveries: nack of an old delivery is ignored, ack of it still counts', async () => {
    const b = createMemoryBroker();
    await setup(b);
    const seen: BrokerMessage[] = [];
    await b.subscribe('S', 'd', (m) => {
      seen.push(m);
      if (m.deliveryCount === 1) m.nack();
    });
    await b.publish('s.x', bytes('x'));
    await waitFor('redelivery', () => seen.length === 2);
    seen[0]!.nack();
    await sleep(20);
    assert.equal(seen.length, 2);
    seen[0]!.ack();
    seen[1]!.ack();
    assert.equal((await b.consumerInfo('S', 'd')).inFlight, 0);
    await b.close();
  });

  test('input validation', async () => {
    const b = createMemoryBroker();
    await setup(b);
    await assert.rejects(b.publish('s.x', bytes('x'), { headers: { 'x-a': 'line\r\nInjected: 1' } }), code('broker.invalid', 400));
    await assert.rejects(b.publish('s.x', bytes('x'), { headers: { 'bad:name': 'v' } }), code('broker.invalid'));
    await assert.rejects(b.publish('s.x', 'text' as unknown as Uint8Array), code('broker.invalid'));
    await assert.rejects(b.publish('s.x', bytes('x'), { msgId: '' }), code('broker.invalid'));
    await assert.rejects(b.publish('s. x', bytes('x')), code('broker.invalid'));
    await assert.rejects(b.publish('s.x', bytes('x'), { publishTimeoutMs: -1 }), code('broker.invalid'));
    await assert.rejects(b.ensureStream({ name: 'A.B', subjects: ['a'], maxMessages: 1 }), code('broker.invalid'));
    await assert.rejects(b.ensureStream({ name: 'A', subjects: [], maxMessages: 1 }), code('broker.invalid'));
    await assert.rejects(b.ensureStream({ name: 'A', subjects: ['a.>.b'], maxMessages: 1 }), code('broker.invalid'));
    await assert.rejects(b.ensureStream({ name: 'A', subjects: ['a'], maxMessages: 0 }), code('broker.invalid'));
    await assert.rejects(b.ensureConsumer({ stream: 'S', durable: 'x', maxDeliver: 0 }), code('broker.invalid'));
    await assert.rejects(b.ensureConsumer({ stream: 'S', durable: 'x y' }), code('broker.invalid'));
    await assert.rejects(b.subscribe('S', 'd', 'nope' as unknown as () => void), code('broker.invalid'));
    await b.ensureConsumer({ stream: 'S', durable: 'f', filterSubject: 's.a' });
    await assert.rejects(b.ensureStream({ name: 'S', subjects: ['s.b'], maxMessages: 10 }), code('broker.invalid'));
    await b.close();
    await assert.rejects(b.ensureStream({ name: 'Z', subjects: ['z'], maxMessages: 1 }), code('broker.closed'));
  });

  test('views into larger buffers are copied exactly; headers are frozen copies', async () => {
    const b = createMemoryBroker();
    await setup(b);
    const chunk = bytes('....orig....');
    const view = chunk.subarray(4, 8);
    const pooled = Buffer.from('pool'); // a slice of Node's shared 8 KiB pool
    const owned = bytes('owned');
    const headers = { k: 'v' };
    await b.publish('s.x', view, { headers });
    await b.publish('s.x', pooled);
    await b.publish('s.x', owned);
    chunk[4] = 0;
    pooled[0] = 0;
    headers.k = 'changed';
    const seen: BrokerMessage[] = [];
    await b.subscribe('S', 'd', (m) => {
      seen.push(m);
      m.ack();
    });
    await waitFor('deliveries', () => seen.length === 3);
    assert.equal(dec.decode(seen[0]!.data), 'orig');
    assert.equal(seen[0]!.data.buffer.byteLength, 4, 'no pinning of the larger buffer');
    assert.equal(dec.decode(seen[1]!.data), 'pool');
    assert.equal(seen[1]!.data.buffer.byteLength, 4);
    assert.equal(seen[2]!.data, owned, 'an array owning its buffer is kept as is');
    assert.equal(seen[0]!.headers.k, 'v');
    assert.ok(Object.isFrozen(seen[0]!.headers));
    await b.close();
  });

  test('raising maxInFlight through ensureConsumer takes effect', async () => {
    const b = createMemoryBroker();
    await setup(b, { maxInFlight: 1 });
    const seen: BrokerMessage[] = [];
    await b.subscribe('S', 'd', (m) => void seen.push(m));
    for (let i = 0; i < 5; i++) await b.publish('s.x', bytes(`${i}`));
    await waitFor('1 delivered', () => seen.length === 1);
    await b.ensureConsumer({ stream: 'S', durable: 'd', maxInFlight: 3 });
    await waitFor('3 delivered', () => seen.length === 3);
    await b.close();
  });

  test('a backlog does not starve the event loop', async () => {
    const b = createMemoryBroker();
    await setup(b, { maxMessages: 20_000 });
    for (let i = 0; i < 10_000; i++) await b.publish('s.x', bytes('x'));
    let handled = 0;
    await b.subscribe('S', 'd', async (m) => {
      await Promise.resolve();
      handled++;
      m.ack();
    });
    const atImmediate = await new Promise<number>((r) => setImmediate(() => r(handled)));
    assert.ok(atImmediate < 10_000, `setImmediate ran only after ${atImmediate} deliveries`);
    await waitFor('all handled', () => handled === 10_000);
    await b.close();
  });

  test('handler failures are logged at most once per interval', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString());
        cb();
      },
    });
    const b = createMemoryBroker({ logger: createLogger({ level: 'warn', destination: sink }) });
    await setup(b);
    let calls = 0;
    await b.subscribe('S', 'd', (m) => {
      if (++calls <= 3) throw new Error('boom');
      m.ack();
    });
    await b.publish('s.x', bytes('x'));
    await waitFor('acked after 3 failures', async () => calls === 4 && (await b.consumerInfo('S', 'd')).inFlight === 0);
    await waitFor('log flushed', () => lines.length >= 1);
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /boom/);
    await b.close();
  });

  test('deleteConsumer stops its subscriptions', async () => {
    const b = createMemoryBroker();
    await setup(b);
    let calls = 0;
    await b.subscribe('S', 'd', () => void calls++);
    await b.deleteConsumer('S', 'd');
    await b.ensureConsumer({ stream: 'S', durable: 'd' });
    await b.publish('s.x', bytes('x'));
    await sleep(50);
    assert.equal(calls, 0);
    assert.equal((await b.consumerInfo('S', 'd')).pending, 1);
    await b.close();
  });

  test('200k messages through two durables: all delivered in order, storage drains', async () => {
    const b = createMemoryBroker();
    await setup(b, { maxMessages: 5000 });
    await b.ensureConsumer({ stream: 'S', durable: 'e' });
    const n = 200_000;
    let nextD = 1;
    let nextE = 1;
    let bad = 0;
    await b.subscribe('S', 'd', (m) => {
      if (m.seq !== nextD++) bad++;
      m.ack();
    });
    await b.subscribe('S', 'e', async (m) => {
      if (m.seq !== nextE++) bad++;
      await Promise.resolve();
      m.ack();
    });
    const payload = bytes('x'.repeat(32));
    for (let i = 0; i < n; i++) await b.publish('s.x', payload);
    await waitFor('drained', async () => {
      const [d, e] = await Promise.all([b.consumerInfo('S', 'd'), b.consumerInfo('S', 'e')]);
      return d.pending + d.inFlight + e.pending + e.inFlight === 0;
    });
    assert.equal(bad, 0);
    assert.equal(nextD - 1, n);
    assert.equal(nextE - 1, n);
    await b.close();
  });
});
