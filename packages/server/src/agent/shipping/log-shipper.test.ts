import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultContentDir } from '../../cmd/content-dir.js';
import { loadParsers } from '../../pipeline/parse/load-parsers.js';
import type { LoadedParsers } from '../../pipeline/parse/port.js';
import { silentLogger } from '../../shared/logger.js';
import { openDiskSpool } from './disk-spool.js';
import { createLogShipper, type LogShipper, type LogShipperOptions } from './log-shipper.js';
import { createSpoolOffsets } from './spool-offsets.js';
import { FakeTransport } from './testdata/fake-transport.js';

const logger = silentLogger();
let root: string;
let parser: LoadedParsers;
let n = 0;
const running: (() => Promise<void>)[] = [];

const sshd = (i: number) => `Oct  6 00:00:01 web01 sshd[123]: Failed password for user${i} from 203.0.113.7 port ${1000 + i} ssh2`;
const users = (t: FakeTransport) => t.events.map((e) => e.user?.name);
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => `user${from + k}`);

async function waitFor(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A shipper over a fresh (or given) state dir and log file, fast timings. */
async function setup(transport: FakeTransport, over: Partial<LogShipperOptions> = {}, at = { dir: join(root, `s${++n}`), log: join(root, `app${n}.log`) }) {
  const spool = await openDiskSpool({ dir: at.dir, agentId: 'web01', logger });
  const offsets = createSpoolOffsets({ path: join(at.dir, 'offsets.json'), spool, logger });
  const make = () => createLogShipper({
    agentId: 'web01',
    sources: [{ path: at.log, type: 'sshd' }],
    parser,
    spool,
    transport,
    offsets,
    logger,
    batchMaxWaitMs: 20,
    tail: { startAt: 'beginning', pollIntervalMs: 20 },
    sender: { retry: { initialMs: 5, maxMs: 20 }, authRetryMs: 30, idleWaitMs: 20 },
    ...over,
  });
  let shipper: LogShipper;
  try {
    shipper = make();
  } catch (e) {
    await spool.close();
    throw e;
  }
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await shipper.stop();
    await spool.close();
  };
  // A failed assertion must not leave tails and timers running (the test file would never exit).
  running.push(stop);
  return { shipper, spool, at, stop };
}

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'dio-shipper-'));
  parser = await loadParsers(join(defaultContentDir(), 'parsers'));
});
after(async () => {
  for (const stop of running) await stop();
  rmSync(root, { recursive: true, force: true });
});

describe('log shipper', () => {
  test('parses, batches, retries through failures in order with a stable Idempotency-Key', async () => {
    const t = new FakeTransport();
    t.script = ['unreachable', 'unreachable', { status: 503, retryAfterS: 0.01 }, { status: 429 }, { status: 500 }];
    const s = await setup(t, { batchMaxEvents: 10 });
    writeFileSync(s.at.log, [...range(0, 30).map((_, i) => sshd(i)), 'not a log line at all', '%%%'].join('\n') + '\n');
    await s.shipper.start();
    await waitFor('30 events acked', () => t.events.length === 30 && s.shipper.stats().batches_shipped === 3);
    assert.deepEqual(users(t), range(0, 30));
    const first = t.requests.filter((r) => r.key === t.requests[0]!.key);
    assert.equal(first.length, 6, 'five failures, then accepted');
    assert.ok(first.every((r) => r.batchId === r.key && r.encoding === 'gzip' && r.events.length === 10));
    assert.equal(new Set(t.requests.map((r) => r.key)).size, 3);
    const ev = t.events[0]!;
    assert.deepEqual([ev.dio?.agent_id, ev.dio?.input, ev.dio?.parser], ['web01', `file:${s.at.log}`, 'sshd']);
    const st = s.shipper.stats();
    assert.deepEqual([st.lines_read, st.lines_parsed, st.lines_unparsed, st.events_spooled, st.batches_shipped, st.events_shipped], [32, 30, 2, 30, 3, 30]);
    assert.equal(st.connected, true);
    assert.match(st.last_error ?? '', /500|503|429|unreachable/);
    await s.stop();
  });

  test('a source\'s own start_at wins over the shipper-wide tail default', async () => {
    const t = new FakeTransport();
    const dir = join(root, `s${++n}`);
    const [fromStart, fromEnd] = [join(root, `start${n}.log`), join(root, `end${n}.log`)];
    writeFileSync(fromStart, `${sshd(1)}\n`);
    writeFileSync(fromEnd, `${sshd(2)}\n`);
    const s = await setup(t, { sources: [{ path: fromStart, type: 'sshd', startAt: 'beginning' }, { path: fromEnd, type: 'sshd', startAt: 'end' }] }, { dir, log: fromStart });
    await s.shipper.start();
    await waitFor('the line already in the start-at-beginning file', () => t.events.length === 1);
    appendFileSync(fromEnd, `${sshd(3)}\n`);
    await waitFor('the line appended to the start-at-end file', () => t.events.length === 2);
    assert.deepEqual(users(t), ['user1', 'user3'], 'user2 was in the start-at-end file before the tail opened');
    await s.stop();
  });

  test('a poison batch (400) is set aside and the stream goes on', async () => {
    const t = new FakeTransport();
    t.poison = (evs) => evs.some((e) => e.user?.name === 'user3');
    const s = await setup(t, { batchMaxEvents: 2 });
    writeFileSync(s.at.log, range(0, 8).map((_, i) => sshd(i)).join('\n') + '\n');
    await s.shipper.start();
    await waitFor('6 events', () => t.events.length === 6 && s.shipper.stats().spool.batches === 0);
    assert.deepEqual(users(t), ['user0', 'user1', 'user4', 'user5', 'user6', 'user7']);
    assert.equal(s.shipper.stats().batches_rejected, 1);
    assert.equal(s.shipper.stats().spool.rejected_events, 2);
    assert.equal(readdirSync(join(s.at.dir, 'rejected')).filter((f) => f.endsWith('.json.gz')).length, 1);
    await s.stop();
  });

  test('401/403 holds the spool (nothing dropped) until the server accepts the agent again', async () => {
    const t = new FakeTransport();
    t.script = [{ status: 401 }, { status: 403 }];
    const s = await setup(t);
    writeFileSync(s.at.log, sshd(0) + '\n');
    await s.shipper.start();
    await waitFor('the first refusal', () => /not allowed/.test(s.shipper.stats().last_error ?? ''));
    assert.equal(s.shipper.stats().connected, false);
    await waitFor('accepted', () => t.events.length === 1);
    assert.equal(s.shipper.stats().batches_rejected, 0);
    await s.stop();
  });

  test('server down: lines spool; a restart resumes the spool and the file without loss or repeats', async () => {
    const t = new FakeTransport();
    t.script = Array.from({ length: 1000 }, () => 'unreachable' as const);
    const first = await setup(t);
    writeFileSync(first.at.log, range(0, 5).map((_, i) => sshd(i)).join('\n') + '\n');
    await first.shipper.start();
    await waitFor('spooled', () => first.shipper.stats().events_spooled === 5);
    appendFileSync(first.at.log, range(5, 9).map((_, i) => sshd(i + 5)).join('\n') + '\n');
    await waitFor('spooled', () => first.shipper.stats().events_spooled === 9);
    assert.equal(first.shipper.stats().connected, false);
    await first.stop();
    assert.equal(t.events.length, 0);

    t.script = [];
    const second = await setup(t, {}, first.at);
    appendFileSync(first.at.log, sshd(9) + '\n');
    await second.shipper.start();
    await waitFor('10 events', () => t.events.length === 10);
    assert.deepEqual(users(t), range(0, 10));
    await second.stop();
  });

  test('a backlog larger than a batch becomes several batches of at most batchMaxEvents', async () => {
    const t = new FakeTransport();
    const s = await setup(t, { batchMaxEvents: 100, batchMaxWaitMs: 1000 });
    writeFileSync(s.at.log, range(0, 1050).map((_, i) => sshd(i)).join('\n') + '\n');
    await s.shipper.start();
    await waitFor('1050 events', () => t.events.length === 1050);
    assert.ok(t.requests.every((r) => r.events.length <= 100));
    assert.deepEqual(users(t), range(0, 1050));
    await s.stop();
  });

  test('refuses unknown source types and duplicate sources', async () => {
    const t = new FakeTransport();
    await assert.rejects(setup(t, { sources: [{ path: '/x.log', type: 'nope' }] }), { code: 'ship.invalid_source' });
    await assert.rejects(setup(t, { sources: [{ path: '/x.log', type: 'auto' }, { path: '/x.log', type: 'sshd' }] }), { code: 'ship.invalid_source' });
  });
});
