import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { isAppError } from '../../shared/app-error.js';
import { silentLogger } from '../../shared/logger.js';
import type { LineBatch } from './port.js';
import { createSyslogSource } from './syslog-source.js';
import { SyslogFramer } from './syslog-framer.js';
import { newSplitterCounts } from './line-splitter.js';

const logger = silentLogger();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, cond: () => boolean, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

function collector() {
  const batches: LineBatch[] = [];
  return {
    batches,
    lines: () => batches.flatMap((b) => b.lines),
    sink: (b: LineBatch) => {
      batches.push(b);
      return Promise.resolve();
    },
  };
}

function tcpClient(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1' }, () => resolve(s));
    s.on('error', reject);
  });
}

const octet = (m: string) => `${Buffer.byteLength(m)} ${m}`;

describe('SyslogFramer', () => {
  test('octet counting and LF framing mixed in one stream, split at every byte boundary', () => {
    const stream = Buffer.from(
      octet('<34>1 2026-01-01T00:00:00Z host app - - - héllo') + '<13>Oct  6 00:00:01 host sshd[1]: lf framed\n' + octet('<13>with trailing lf\n') + '12345-not a length\n' + octet('<1>multi\nline'),
    );
    const expected = ['<34>1 2026-01-01T00:00:00Z host app - - - héllo', '<13>Oct  6 00:00:01 host sshd[1]: lf framed', '<13>with trailing lf', '12345-not a length', '<1>multi', 'line'];
    for (let cut = 0; cut <= stream.length; cut++) {
      const f = new SyslogFramer(1024, newSplitterCounts());
      const out = { lines: [] as string[], ends: [] as number[] };
      assert.ok(f.push(stream.subarray(0, cut), out));
      assert.ok(f.push(stream.subarray(cut), out));
      assert.equal(f.end(out), true);
      assert.deepEqual(out.lines, expected, `cut at ${cut}`);
    }
  });

  test('endless frames are truncated, counted and end the connection; buffers stay bounded', () => {
    const counts = newSplitterCounts();
    const f = new SyslogFramer(100, counts);
    const out = { lines: [] as string[], ends: [] as number[] };
    assert.ok(f.push(Buffer.from('<1>' + 'a'.repeat(50)), out));
    assert.equal(f.push(Buffer.from('a'.repeat(100)), out), false);
    assert.deepEqual(out.lines, ['<1>' + 'a'.repeat(97)]);
    assert.equal(counts.overlong, 1);

    const g = new SyslogFramer(100, counts);
    const out2 = { lines: [] as string[], ends: [] as number[] };
    assert.ok(g.push(Buffer.from('999999 <1>' + 'b'.repeat(50)), out2));
    assert.ok(g.bufferedBytes < 120);
    assert.equal(g.push(Buffer.from('b'.repeat(60)), out2), false);
    assert.deepEqual(out2.lines, ['<1>' + 'b'.repeat(97)]);
    assert.equal(counts.overlong, 2);
    // A cut octet frame at close is not delivered.
    const h = new SyslogFramer(100, counts);
    const out3 = { lines: [] as string[], ends: [] as number[] };
    h.push(Buffer.from('20 <1>short'), out3);
    assert.equal(h.end(out3), false);
    assert.deepEqual(out3.lines, []);
  });
});

describe('syslog source', () => {
  test('UDP: one message per datagram, several lines split, raw with <PRI>, peer set', async () => {
    const c = collector();
    const src = createSyslogSource({ udp: { port: 0 }, logger });
    await src.start(c.sink);
    const port = src.addresses().udp!;
    assert.ok(port > 0);
    const client = createSocket('udp4');
    const send = (m: string) => new Promise<void>((r, j) => client.send(m, port, '127.0.0.1', (e) => (e ? j(e) : r())));
    await send('<34>Oct 11 22:14:15 mymachine su: su root failed for lonvick\n');
    await send('<13>line one\n<13>line two\r\n');
    await send('<13>bin\0ary');
    await waitFor('3 lines', () => c.lines().length >= 3);
    assert.deepEqual(c.lines(), ['<34>Oct 11 22:14:15 mymachine su: su root failed for lonvick', '<13>line one', '<13>line two']);
    assert.equal(c.batches[0]!.peer, '127.0.0.1');
    await waitFor('binary counted', () => src.status().dropped.binary === 1);
    assert.equal(src.status().kind, 'syslog-udp');
    client.close();
    await src.stop();
    assert.equal(src.status().state, 'stopped');
  });

  test('TCP: both framings over several concurrent connections, each connection in order', async () => {
    const c = collector();
    const src = createSyslogSource({ tcp: { port: 0 }, logger });
    await src.start(c.sink);
    const port = src.addresses().tcp!;
    const clients = await Promise.all([tcpClient(port), tcpClient(port), tcpClient(port)]);
    const perClient = 500;
    for (let k = 0; k < perClient; k++) {
      clients.forEach((s, i) => {
        const msg = `<13>Oct  6 00:00:01 host app[${i}]: message ${k} from client ${i}`;
        s.write(i === 0 ? msg + '\n' : i === 1 ? octet(msg) : k % 2 ? octet(msg) : msg + '\n');
      });
      if (k % 50 === 0) await sleep(1);
    }
    clients.forEach((s) => s.end());
    await waitFor('all lines', () => c.lines().length >= 3 * perClient);
    await sleep(100);
    const lines = c.lines();
    assert.equal(lines.length, 3 * perClient);
    for (let i = 0; i < 3; i++) {
      const mine = lines.filter((l) => l.includes(`from client ${i}`));
      assert.deepEqual(mine, Array.from({ length: perClient }, (_, k) => `<13>Oct  6 00:00:01 host app[${i}]: message ${k} from client ${i}`));
    }
    assert.ok(c.batches.every((b) => b.peer === '127.0.0.1' && b.source === 'syslog'));
    await src.stop();
  });

  test('TCP: backpressure pauses the connection while the sink is busy; an endless frame closes it', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const lines: string[] = [];
    const src = createSyslogSource({ tcp: { port: 0, maxMessageBytes: 1024 }, logger });
    await src.start(async (b) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await sleep(5);
      lines.push(...b.lines);
      inFlight--;
    });
    const port = src.addresses().tcp!;
    const a = await tcpClient(port);
    const b = await tcpClient(port);
    for (let k = 0; k < 300; k++) {
      a.write(`<13>a ${k}\n`);
      b.write(octet(`<13>b ${k}`));
    }
    await waitFor('600 lines', () => lines.length >= 600);
    assert.equal(maxInFlight, 1);
    const closed = new Promise<void>((r) => a.on('close', () => r()));
    a.on('error', () => undefined);
    a.write('<13>' + 'x'.repeat(5000));
    await closed;
    await waitFor('frame counted', () => (src.status().dropped.frame_too_long ?? 0) === 1);
    assert.equal(src.status().dropped.overlong, 1);
    b.end();
    await src.stop();
  });

  test('TCP: connections beyond maxConnections are refused, idle ones are closed', async () => {
    const c = collector();
    const src = createSyslogSource({ tcp: { port: 0, maxConnections: 1, idleTimeoutMs: 300 }, logger });
    await src.start(c.sink);
    const port = src.addresses().tcp!;
    const first = await tcpClient(port);
    const firstClosed = new Promise<void>((r) => first.on('close', () => r()));
    const second = connect({ port, host: '127.0.0.1' });
    second.on('error', () => undefined);
    await new Promise<void>((r) => second.on('close', () => r()));
    await waitFor('refusal counted', () => src.status().dropped.connection_limit === 1);
    first.write('<13>still served\n');
    await waitFor('1 line', () => c.lines().length === 1);
    await firstClosed; // idle timeout
    assert.equal(src.status().dropped.idle_timeout, 1);
    await src.stop();
  });

  test('bind errors are reported; config is validated; default host is loopback', async () => {
    const first = createSyslogSource({ tcp: { port: 0 }, udp: { port: 0 }, logger });
    await first.start(() => Promise.resolve());
    const taken = first.addresses().tcp!;
    const second = createSyslogSource({ tcp: { port: taken }, logger });
    await assert.rejects(second.start(() => Promise.resolve()), (e: unknown) => isAppError(e) && e.code === 'acquire.bind_failed' && /127\.0\.0\.1/.test(e.message));
    assert.equal(second.status().state, 'failed');
    assert.throws(() => createSyslogSource({ tcp: { port: 70_000 }, logger }), /tcp.port/);
    assert.throws(() => createSyslogSource({ udp: { port: 514, host: 'example.com' }, logger }), /IP address/);
    assert.throws(() => createSyslogSource({ logger }), /udp and\/or tcp/);
    await first.stop();
  });
});
