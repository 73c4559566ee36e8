import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Broker, BrokerMessage, StreamConfig } from './port.js';

/**
 * Contract every Broker adapter runs (imported by each adapter's test; the runner skips
 * *.case.test.ts on its own). Written for a shared, persistent NATS JetStream too: unique stream
 * names and subjects per test, short ack waits, polling instead of fixed sleeps. The only fixed
 * sleeps check that something does NOT happen; a slow machine can only make those pass more easily.
 */
const WAIT_MS = 10_000;
const TEST_OPTS = { timeout: 60_000 };
const enc = new TextEncoder();
const dec = new TextDecoder();
const bytes = (s: string) => enc.encode(s);
const text = (d: Uint8Array) => dec.decode(d);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

let counter = 0;
const uid = () => `${Date.now().toString(36)}${(counter++).toString(36)}${Math.random().toString(36).slice(2, 6)}`;

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = WAIT_MS): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

function isCode(code: string, status?: number) {
  return (e: unknown) => {
    const err = e as { code?: string; status?: number };
    assert.equal(err.code, code, `expected ${code}, got ${String(err.code)}: ${String(e)}`);
    if (status !== undefined) assert.equal(err.status, status);
    return true;
  };
}

/** Collects deliveries; `ack` decides per message whether to ack it right away. */
function collector(ack: (m: BrokerMessage) => boolean = () => true) {
  const got: BrokerMessage[] = [];
  const handler = (m: BrokerMessage): void => {
    got.push(m);
    if (ack(m)) m.ack();
  };
  return { got, handler, texts: () => got.map((m) => text(m.data)) };
}

interface Ns {
  /** `ct.<unique>.<rest>` */
  subject(rest: string): string;
  /** Creates a stream with a unique name (deleted after the test) and returns its name. */
  stream(subjects: string[], extra?: Partial<StreamConfig>): Promise<string>;
}

export function runBrokerContract(name: string, makeBroker: () => Promise<Broker>, dispose?: (b: Broker) => Promise<void>): void {
  async function withBroker(fn: (b: Broker, ns: Ns) => Promise<void>): Promise<void> {
    const b = await makeBroker();
    const id = uid();
    const created: string[] = [];
    const ns: Ns = {
      subject: (rest) => `ct.${id}.${rest}`,
      async stream(subjects, extra = {}) {
        const streamName = `CT_${id}_${created.length}`;
        await b.ensureStream({ name: streamName, subjects, maxMessages: 1000, ...extra });
        created.push(streamName);
        return streamName;
      },
    };
    try {
      await fn(b, ns);
    } finally {
      for (const s of created) await b.deleteStream(s).catch(() => undefined);
      await (dispose ? dispose(b) : b.close());
    }
  }

  describe(`Broker contract: ${name}`, () => {
    test('publish/subscribe round trip keeps subject, data, headers, seq; handlers run outside publish()', TEST_OPTS, () =>
      withBroker(async (b, ns) => {
        const s = await ns.stream([ns.subject('rt.>')]);
        await b.ensureConsumer({ stream: s, durable: 'd1' });
        let insidePublish = false;
        const calledInsidePublish: boolean[] = [];
        const c = collector();
        await b.subscribe(s, 'd1', (m) => {
          calledInsidePublish.push(insidePublish);
          c.handler(m);
        });
        insidePublish = true;
        const p = b.publish(ns.subject('rt.a'), bytes('hello'), { headers: { 'x-dio-trace': 'abc', 'X-Upper': 'Case' } });
        insidePublish = false;
        const r = await p;
        assert.equal(r.duplicate, false);
        for (let i = 0; i < 20; i++) await b.publish(ns.subject('rt.b'), bytes(`n${i}`));
        await waitFor('21 deliveries', () => c.got.length >= 21);
        const first = c.got[0]!;
        assert.equal(first.subject, ns.subject('rt.a'));
        assert.equal(text(first.data), 'hello');
        assert.equal(first.headers['x-dio-trace'], 'abc');
        assert.equal(first.headers['X-Upper'], 'Case');
        assert.equal(first.seq, r.seq);
        assert.equal(first.deliveryCount, 1);
        assert.deepEqual(c.texts().slice(1), Array.from({ length: 20 }, (_, i) => `n${i}`), 'first deliveries keep stream order');
        for (let i = 1; i < c.got.length; i++) assert.ok(c.got[i]!.seq > c.got[i - 1]!.seq);
        assert.ok(calledInsidePublish.every((x) => !x), 'handler must not run inside publish()');
        await waitFor('everything acked', async () => {
          const info = await b.consumerInfo(s, 'd1');
          return info.pending === 0 && info.inFlight === 0;
        });
        assert.equal(c.got.length, 21);
      }));

    test('fan-out: every durable gets every message', TEST_OPTS, () =>
      withBroker(async (b, ns) => {
        const s = await ns.stream([ns.subject('fan')]);
        await b.ensureConsumer({ stream: s, durable: 'a' });
        await b.ensureConsumer({ stream: s, durable: 'b' });
        const ca = collector();
        const cb = collector();
        await b.subscribe(s, 'a', ca.handler);
        await b.subscribe(s, 'b', cb.handler);
        for (let i = 0; i < 10; i++) await b.publish(ns.subject('fan'), bytes(`m${i}`));
        await waitFor('both durables got 10', () => ca.got.length >= 10 && cb.got.length >= 10);
        const want = Array.from({ length: 10 }, (_, i) => `m${i}`);
        assert.deepEqual(ca.texts(), want);
        assert.deepEqual(cb.texts(), want);
      }));

    test('work sharing: subscribers of one durable split the messages, each once', TEST_OPTS, () =>
      withBroker(async (b, ns) => {
        const s = await ns.stream([ns.subject('work')]);
        await b.ensureConsumer({ stream: s, durable: 'w', maxInFlight: 4 });
        const seen: number[][] = [[], []];
        const slow = (k: number) => async (m: BrokerMessage) => {
          seen[k]!.push(m.seq);
          await sleep(15);
          m.ack();
        };
        await b.subscribe(s, 'w', slow(0));
        await b.subscribe(s, 'w', slow(1));
        const seqs: number[] = [];
        for (let i = 0; i < 30; i++) seqs.push((await b.publish(ns.subject('work'), bytes(`w${i}`))).seq);
        await waitFor('30 handled', () => seen[0]!.length + seen[1]!.length >= 30);
        await waitFor('all acked', async () => (await b.consumerInfo(s, 'w')).inFlight === 0);
        assert.deepEqual([...seen[0]!, ...seen[1]!].sort((x, y) => x - y), seqs, 'each message handled exactly once');
        assert.ok(seen[0]!.length > 0 && seen[1]!.length > 0, `both subscribers got work (${seen[0]!.length}/${seen[1]!.length})`);
      }));

    test('handler calls of one subscription are sequential', TEST_OPTS, () =>
      withBroker(async (b, ns) => {
        const s = await ns.stream([ns.subject('seq')]);
        await b.ensureConsumer({ stream: s, durable: 'd', maxInFlight: 50 });
        let running = 0;
        let maxRunning = 0;
        let done = 0;
        await b.subscribe(s, 'd', async (m) => {
          maxRunning = Math.max(maxRunning, ++running);
          await sleep(2);
          running--;
          done++;
          m.ack();
        });
        for (let i = 0; i < 10; i++) await b.publish(ns.subject('seq'), bytes(`s${i}`));
        await waitFor('10 handled', () => done >= 10);
        assert.equal(maxRunning, 1);
      }));

    test('ack removes the message: no redelivery after the ack wait', TEST_OPTS, () =>
      withBroker(async (b, ns) => {
        const s = await ns.stream([ns.subject('ack')]);
        await b.ensureConsumer({ stream: s, durable: 'd', ackWaitMs: 200 });
        const c = collector();
        await b.subscribe(s, 'd', c.handler);
        await b.publish(ns.subject('ack'), bytes('once'));
        await waitFor('delivery', () => c.got.length >= 1);
        await waitFor('acked', async () => {
          const info = await b.consumerInfo(s, 'd');
          return info.pending === 0 && info.inFlight === 0;
        });
        await sleep(700);
        assert.equal(c.got.length, 1);
      }));

    test('nack redelivers with deliveryCount 2; nack(delay) waits', TEST_OPTS, () =>
      withBroker(async (b, ns) => {
        const s = await ns.stream([ns.subject('nack.*')]);
        await b.ensureConsumer({ stream: s, durable: 'd' });
        const at: number[] = [];
        const c = collector((m) => {
          at.push(Date.now());
          if (m.deliveryCount > 1) return true;
          m.nack(m.subject.endsWith('.slow') ? 400 : 0);
          return false;
        });
        await b.subscribe(s, 'd', c.handler);
        const r = await b.publish(ns.subject('nack.now'), bytes('again'));
        await waitFor('redelivery', () => c.got.length >= 2);
        assert.equal(c.got[1]!.deliveryCount, 2);
        assert.equal(c.got[1]!.seq, r.seq);
        assert.equal(text(c.got[1]!.data), 'again');
        await waitFor('redelivered counted', async () => (await b.consumerInfo(s, 'd')).redelivered >= 1);
        await b.publish(ns.subject('nack.slow'), bytes('later'));
        await waitFor('delayed redelivery', () => c.got.length >= 4);
        assert.equal(c.got[3]!.deliveryCount, 2);
        assert.ok(at[3]! - at[2]! >= 300, `redelivered after ${at[3]! - at[2]!} ms, nack asked for 400`);
      }));

    test('an unacked message is redelivered after ackWaitMs', TEST_OPTS, () =>
      withBroker(async (b, ns) => {
        const s = await ns.stream([ns.subject('wait')]);
        await b.ensureConsumer({ stream: s, durable: 'd', ackWaitMs: 200 });
        const c = collector((m) => m.deliveryCount > 1);
        await b.subscribe(s, 'd', c.handler);
        await b.publish(ns.subject('wait'), bytes('slow'));
        await waitFor('redelivery after ack wait', () => c.got.length >= 2);
        assert.equal(c.got[1]!.deliveryCount, 2);
        assert.equal(c.got[1]!.seq, c.got[0]!.seq);
      }));

    test('after maxDeliver failed deliveries the message is dead-lettered and its room freed', TEST_OPTS, () =>
      withBroker(async (b, ns) => {
        const s = await ns.stream([ns.subject('dead.*')], { maxMessages: 1 });
        await b.ensureConsumer({ stream: s, durable: 'd', maxDeliver: 3, ackWaitMs: 200 });
        const c = collector((m) => {
          if (m.subject.endsWith('.nack')) m.nack();
          return false; // '.ignore' messages just time out
        });
        await b.subscribe(s, 'd', c.handler);
        await b.publish(ns.subject('dead.nack'), bytes('poison'));
        await waitFor('dead letter', async () => (await b.consumerInfo(s, 'd')).deadLettered === 1);
        await b.publish(ns.subject('dead.ignore'), bytes('ignored'), { publishTimeoutMs: 5000 });
        await waitFor('second dead letter', async () => (await b.consumerInfo(s, 'd')).deadLettered === 2);
        await sleep(600);
        const counts = (subject: string) => c.got.filter((m) => m.subject === ns.subject(subject)).map((m) => m.deliveryCount);
        assert.deepEqual(counts('dead.nack'), [1, 2, 3]);
        assert.deepEqual(counts('dead.ignore'), [1, 2, 3]);
        const info = await b.consumerInfo(s, 'd');
        assert.equal(info.inFlight, 0);
        assert.equal(info.pending, 0);
        await b.publish(ns.subject('dead.nack'), bytes('fits again'), { publishTimeoutMs: 2000 });
      }));

    test('a throwing or rejecting handler counts as a nack', TEST_OPTS, () =>
      withBroker(async (b, ns) => {
        const s = await ns.stream([ns.subject('throw')]);
        await b.ensureConsumer({ stream: s, durable: 'd' });
        const counts: number[] = [];
        await b.subscribe(s, 'd', (m) => {
          counts.push(m.deliveryCount);
          if (m.deliveryCount === 1) throw new Error('sync failure');
          if (m.deliveryCount === 2) return Promise.reject(new Error('async failure'));
          m.ack();
        });
        await b.publish(ns.subject('throw'), bytes('x'));
        await waitFor('third delivery acked', async () => counts.length >= 3 && (await b.consumerInfo(s, 'd')).inFlight === 0);
        assert.deepEqual(counts, [1, 2, 3]);
      }));

    test('maxInFlight bounds unacked deliveries', TEST_OPTS, () =>
      withBroker(async (b, ns) => {
        const s = await ns.stream([ns.subject('mif')]);
        await b.ensureConsumer({ stream: s, durable: 'd', maxInFlight: 3, ackWaitMs: 30_000 });
        const c = collector(() => false);
        await b.subscribe(s, 'd', c.handler);
        for (let i = 0; i < 10; i++) await b.publish(ns.subject('mif'), bytes(`f${i}`));
        await waitFor('3 deliveries', () => c.got.length >= 3);
        await sleep(300);
        assert.equal(c.got.length, 3);
        await waitFor('info 3 in flight, 7 pending', async () => {
          const info = await b.consumerInfo(s, 'd');
          return info.inFlight === 3 && info.pending === 7;
        });
        c.got[0]!.ack();
        await waitFor('a 4th delivery after one ack', () => c.got.length >= 4);
        await sleep(200);
        assert.equal(c.got.length, 4);
        assert.deepEqual(c.texts(), ['f0', 'f1', 'f2', 'f3']);
      }));

    test('backpressure: publish waits while the stream is full and completes after an ack', TEST_OPTS, () =>
      withBroker(async (b, ns) => {
        const s = await ns.stream([ns.subject('bp')], { maxMessages: 2 });
        await b.ensureConsumer({ stream: s, durable: 'd', ackWaitMs: 30_000 });
        await b.publish(ns.subject('bp'), bytes('1'));
        await b.publish(ns.subject('bp'), bytes('2'));
        let settled = false;
        const third = b.publish(ns.subject('bp'), bytes('3'), { publishTimeoutMs: 20_000 });
        void third.then(
          () => (settled = true),
          () => (settled = true),
        );
        await sleep(300);
        assert.equal(settled, false, 'publish into a full stream must wait');
        const c = collector(() => false);
        await b.subscribe(s, 'd', c.handler);
        await waitFor('2 deliveries', () => c.got.length >= 2);
        c.got[0]!.ack();
        const r = await third;
        assert.equal(r.duplicate, false);
        await waitFor('third delivered', () => c.texts().includes('3'));
      }));

    test('backpressure: publish rejects with broker.full after publishTimeoutMs', TEST_OPTS, () =>
      withBroker(async (b, ns) => {
        const s = await ns.stream([ns.subject('full')], { maxMessages: 1 });
        await b.ensureConsumer({ stream: s, durable: 'd' });
        await b.publish(ns.subject('full'), bytes('1'));
        const t0 = Date.now();
        await assert.rejects(b.publish(ns.subject('full'), bytes('2'), { publishTimeoutMs: 300 }), isCode('broker.full', 503));
        assert.ok(Date.now() - t0 >= 250, 'rejected only after waiting');
        assert.equal((await b.consumerInfo(s, 'd')).pending, 1);
      }));

    test('msgId de-duplicates within the window', TEST_OPTS, () =>
      withBroker(async (b, ns) => {
        const s = await ns.stream([ns.subject('dup')]);
        await b.ensureConsumer({ stream: s, durable: 'd' });
        const r1 = await b.publish(ns.subject('dup'), bytes('first'), { msgId: 'id-1' });
        const r2 = await b.publish(ns.subject('dup'), bytes('again'), { msgId: 'id-1' });
        const r3 = await b.publish(ns.subject('dup'), bytes('other'), { msgId: 'id-2' });
        assert.equal(r1.duplicate, false);
        assert.deepEqual(r2, { seq: r1.seq, duplicate: true });
        assert.equal(r3.duplicate, false);
        const c = collector();
        await b.subscribe(s, 'd', c.handler);
        await waitFor('2 deliveries', () => c.got.length >= 2);
        await sleep(200);
        assert.deepEqual(c.texts(), ['first', 'other']);
      }));

    test('a durable created later starts at the first stored message', TEST_OPTS, () =>
      withBroker(async (b, ns) => {
        const s = await ns.stream([ns.subject('late')]);
        await b.ensureConsumer({ stream: s, durable: 'early' });
        for (let i = 0; i < 3; i++) await b.publish(ns.subject('late'), bytes(`l${i}`));
        await b.ensureConsumer({ stream: s, durable: 'late' });
        assert.equal((await b.consumerInfo(s, 'late')).pending, 3);
        const c = collector();
        await b.subscribe(s, 'late', c.handler);
        await waitFor('3 deliveries', () => c.got.length >= 3);
        assert.deepEqual(c.texts(), ['l0', 'l1', 'l2']);
        assert.equal((await b.consumerInfo(s, 'early')).pending, 3, 'the other durable still holds its copy');
      }));

    test('retention is by interest: unmatched or fully acked messages are not kept', TEST_OPTS, () =>
      withBroker(async (b, ns) => {
        const s = await ns.stream([ns.subject('int.*')]);
        const nobody = await b.publish(ns.subject('int.a'), bytes('nobody'));
        assert.equal(nobody.duplicate, false);
        await b.ensureConsumer({ stream: s, durable: 'a', filterSubject: ns.subject('int.a') });
        await b.publish(ns.subject('int.b'), bytes('unmatched'));
        const ca = collector();
        await b.subscribe(s, 'a', ca.handler);
        await b.publish(ns.subject('int.a'), bytes('x1'));
        await waitFor('a acked x1', async () => ca.got.length >= 1 && (await b.consumerInfo(s, 'a')).inFlight === 0);
        await b.ensureConsumer({ stream: s, durable: 'b' });
        await b.publish(ns.subject('int.a'), bytes('x2'));
        const cb = collector();
        await b.subscribe(s, 'b', cb.handler);
        await waitFor('b got x2', () => cb.got.length >= 1);
        await sleep(200);
        assert.deepEqual(cb.texts(), ['x2']);
        await waitFor('a got x2', () => ca.got.length >= 2);
        assert.deepEqual(ca.texts(), ['x1', 'x2']);
      }));

    test('stop() hands in-flight messages back for redelivery', TEST_OPTS, () =>
      withBroker(async (b, ns) => {
        const s = await ns.stream([ns.subject('stop')]);
        await b.ensureConsumer({ stream: s, durable: 'd', ackWaitMs: 30_000 });
        const c1 = collector(() => false);
        const sub1 = await b.subscribe(s, 'd', c1.handler);
        for (let i = 0; i < 3; i++) await b.publish(ns.subject('stop'), bytes(`t${i}`));
        await waitFor('sub1 holds 3', () => c1.got.length >= 3);
        const c2 = collector();
        await b.subscribe(s, 'd', c2.handler);
        await sleep(200);
        assert.equal(c2.got.length, 0, 'nothing to redeliver yet');
        await sub1.stop();
        await waitFor('sub2 got the 3 back', () => c2.got.length >= 3);
        assert.deepEqual(c2.got.map((m) => m.deliveryCount), [2, 2, 2]);
        assert.deepEqual([...c2.texts()].sort(), ['t0', 't1', 't2']);
        assert.equal(c1.got.length, 3);
      }));

    test('wildcard subjects route to streams and filters; overlaps and strays are rejected', TEST_OPTS, () =>
      withBroker(async (b, ns) => {
        const s = await ns.stream([ns.subject('*.events'), ns.subject('alerts.>')]);
        await b.ensureConsumer({ stream: s, durable: 'ev', filterSubject: ns.subject('*.events') });
        await b.ensureConsumer({ stream: s, durable: 'al', filterSubject: ns.subject('alerts.>') });
        await b.ensureConsumer({ stream: s, durable: 'ssh', filterSubject: ns.subject('alerts.*.ssh') });
        await b.ensureConsumer({ stream: s, durable: 'all' });
        const got = { ev: collector(), al: collector(), ssh: collector(), all: collector() };
        for (const [d, c] of Object.entries(got)) await b.subscribe(s, d, c.handler);
        await b.publish(ns.subject('web.events'), bytes('e'));
        await b.publish(ns.subject('alerts.web01.ssh'), bytes('a1'));
        await b.publish(ns.subject('alerts.x'), bytes('a2'));
        await assert.rejects(b.publish(ns.subject('web.events.extra'), bytes('?')), isCode('broker.no_stream'));
        await assert.rejects(b.publish(ns.subject('alerts'), bytes('?')), isCode('broker.no_stream'));
        await waitFor('all got 3', () => got.all.got.length >= 3);
        await sleep(100);
        assert.deepEqual(got.ev.texts(), ['e']);
        assert.deepEqual(got.al.texts(), ['a1', 'a2']);
        assert.deepEqual(got.ssh.texts(), ['a1']);
        assert.deepEqual(got.all.texts(), ['e', 'a1', 'a2']);
        await assert.rejects(ns.stream([ns.subject('alerts.web01.*')]), isCode('broker.subjects_overlap'));
        await assert.rejects(b.ensureConsumer({ stream: s, durable: 'stray', filterSubject: ns.subject('other') }), isCode('broker.invalid'));
      }));

    test('errors: unknown stream/durable, bad subject, filter change', TEST_OPTS, () =>
      withBroker(async (b, ns) => {
        const s = await ns.stream([ns.subject('err.>')]);
        await b.ensureStream({ name: s, subjects: [ns.subject('err.>')], maxMessages: 1000 }); // idempotent
        await b.ensureConsumer({ stream: s, durable: 'd', filterSubject: ns.subject('err.a') });
        await b.ensureConsumer({ stream: s, durable: 'd', filterSubject: ns.subject('err.a'), ackWaitMs: 1000 }); // update
        await assert.rejects(b.ensureConsumer({ stream: s, durable: 'd', filterSubject: ns.subject('err.b') }), isCode('broker.consumer_conflict'));
        await assert.rejects(b.publish(`nostream.${uid()}`, bytes('x')), isCode('broker.no_stream'));
        await assert.rejects(b.publish(ns.subject('err..x'), bytes('x')), isCode('broker.invalid'));
        await assert.rejects(b.publish(ns.subject('err.*'), bytes('x')), isCode('broker.invalid'));
        await assert.rejects(b.subscribe(s, 'nope', () => undefined), isCode('broker.no_consumer'));
        await assert.rejects(b.consumerInfo(`CT_${uid()}`, 'd'), isCode('broker.no_stream'));
        await assert.rejects(b.ensureConsumer({ stream: `CT_${uid()}`, durable: 'd' }), isCode('broker.no_stream'));
      }));

    test('close() rejects waiting publishers with broker.closed', TEST_OPTS, () =>
      withBroker(async (b, ns) => {
        const s = await ns.stream([ns.subject('close')], { maxMessages: 1 });
        await b.ensureConsumer({ stream: s, durable: 'd' });
        await b.publish(ns.subject('close'), bytes('1'));
        const waiting = b.publish(ns.subject('close'), bytes('2'), { publishTimeoutMs: 30_000 });
        const rejected = assert.rejects(waiting, isCode('broker.closed'));
        await sleep(100);
        await b.close();
        await rejected;
        await assert.rejects(b.publish(ns.subject('close'), bytes('3')), isCode('broker.closed'));
      }));
  });
}
