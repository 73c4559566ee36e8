/**
 * Throughput of the memory broker: publish + consume + ack of N small messages through one durable.
 *   node --import tsx packages/server/src/broker/memory/memory-broker.bench.ts [N]
 * Prints msgs/s by wall clock and per CPU-second of this process (the fairer figure on a shared,
 * loaded machine; it includes GC helper threads, so it is the conservative one).
 */
import { jsonCodec } from '../port.js';
import { createMemoryBroker } from './memory-broker.js';

interface Scenario {
  name: string;
  pipelined: boolean;
  asyncHandler: boolean;
  /** How the publisher makes each message's bytes. */
  payload: 'shared' | 'encode' | 'view';
}

const SCENARIOS: Scenario[] = [
  { name: 'awaited publish, sync handler', pipelined: false, asyncHandler: false, payload: 'shared' },
  { name: 'pipelined publish, sync handler', pipelined: true, asyncHandler: false, payload: 'shared' },
  { name: 'awaited publish, async handler', pipelined: false, asyncHandler: true, payload: 'shared' },
  { name: 'pipelined publish, async handler', pipelined: true, asyncHandler: true, payload: 'shared' },
  { name: 'awaited, async handler, jsonCodec.encode per msg', pipelined: false, asyncHandler: true, payload: 'encode' },
  { name: 'awaited, async handler, views (copied)', pipelined: false, asyncHandler: true, payload: 'view' },
];

const EVENT = { event: { kind: 'event' }, source: { ip: '192.0.2.1' } };

async function run(n: number, s: Scenario): Promise<{ wall: number; cpu: number }> {
  const b = createMemoryBroker();
  await b.ensureStream({ name: 'BENCH', subjects: ['bench.>'], maxMessages: 100_000 });
  await b.ensureConsumer({ stream: 'BENCH', durable: 'd' });
  let received = 0;
  let finish!: () => void;
  const finished = new Promise<void>((r) => (finish = r));
  const done = () => {
    if (++received === n) finish();
  };
  await b.subscribe(
    'BENCH',
    'd',
    s.asyncHandler
      ? async (m) => {
          await Promise.resolve();
          m.ack();
          done();
        }
      : (m) => {
          m.ack();
          done();
        },
  );
  const shared = jsonCodec.encode(EVENT);
  const chunk = new Uint8Array(64 * 1024);
  chunk.set(shared);
  const bytesFor = (): Uint8Array => (s.payload === 'shared' ? shared : s.payload === 'encode' ? jsonCodec.encode(EVENT) : chunk.subarray(0, shared.length));
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  if (s.pipelined) {
    const batch: Promise<unknown>[] = [];
    for (let i = 0; i < n; i++) {
      batch.push(b.publish('bench.events', bytesFor()));
      if (batch.length === 1000) {
        await Promise.all(batch);
        batch.length = 0;
      }
    }
    await Promise.all(batch);
  } else {
    for (let i = 0; i < n; i++) await b.publish('bench.events', bytesFor());
  }
  await finished;
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  await b.close();
  return { wall: n / secs, cpu: n / ((c.user + c.system) / 1e6) };
}

const n = Number(process.argv[2] ?? 1_000_000);
const fmt = (x: number) => Math.round(x).toLocaleString('en-US').padStart(10);
console.log(`${n.toLocaleString('en-US')} messages of ${jsonCodec.encode(EVENT).length} bytes, one durable`);
for (const s of SCENARIOS) {
  const rate = await run(n, s);
  console.log(`${s.name.padEnd(50)} ${fmt(rate.wall)} msgs/s wall ${fmt(rate.cpu)} msgs/s per CPU-s`);
}
