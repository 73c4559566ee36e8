import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../../shared/logger.js';
import { createMetrics } from '../../shared/metrics.js';
import { createApiMetrics } from '../api-metrics.js';
import { FakeLiveStream, sampleAlert, sampleDecision } from '../testing/fakes.js';
import { encode, StreamHub, type EncodedMessage, type StreamSink } from './stream-hub.js';

class RecordingSink implements StreamSink {
  readonly got: EncodedMessage[] = [];
  beats = 0;
  queued = 0;
  closedWith: string | undefined;
  constructor(readonly transport: 'sse' | 'ws' = 'sse') {}
  send(m: EncodedMessage): number {
    this.got.push(m);
    return this.queued;
  }
  heartbeat(): number {
    this.beats++;
    return this.queued;
  }
  close(reason: 'slow' | 'error' | 'shutdown'): void {
    this.closedWith = reason;
  }
}

function hub(over: Partial<{ maxClients: number; bufferBytes: number; heartbeatMs: number }> = {}) {
  const source = new FakeLiveStream();
  const metrics = createMetrics();
  const apiMetrics = createApiMetrics(metrics.registry);
  const h = new StreamHub(source, { maxClients: 3, bufferBytes: 1000, heartbeatMs: 60_000, metrics: apiMetrics, logger: silentLogger(), ...over });
  return { h, source, metrics };
}

describe('encode', () => {
  test('SSE frame is one data line even when the payload holds newlines', () => {
    const m = encode(7, { type: 'alert', data: sampleAlert({ title: 'line1\nline2\r\nx' }) });
    const text = m.sse.toString();
    assert.match(text, /^id: 7\nevent: alert\ndata: \{.*\}\n\n$/);
    assert.equal(text.split('\n').length, 5);
    assert.deepEqual(JSON.parse(m.ws.toString()), { type: 'alert', id: 7, data: JSON.parse(text.split('\n')[2]!.slice(6)) });
  });

  test('refuses unknown types', () => {
    assert.throws(() => encode(1, { type: 'nope', data: {} } as never));
  });
});

describe('StreamHub', () => {
  test('subscribes only while clients are connected, fans out each message encoded once', () => {
    const { h, source } = hub();
    assert.equal(source.listeners.size, 0);
    const a = new RecordingSink();
    const b = new RecordingSink('ws');
    const detachA = h.add(a)!;
    const detachB = h.add(b)!;
    assert.equal(source.listeners.size, 1);
    source.publish({ type: 'decision', data: sampleDecision() });
    assert.equal(a.got.length, 1);
    assert.equal(a.got[0], b.got[0], 'same encoded object for every client');
    detachA();
    detachB();
    assert.equal(source.listeners.size, 0);
    assert.equal(h.size, 0);
  });

  test('ids increase across messages', () => {
    const { h, source } = hub();
    const a = new RecordingSink();
    h.add(a);
    source.publish({ type: 'alert', data: sampleAlert() });
    source.publish({ type: 'decision_deleted', data: sampleDecision() });
    assert.deepEqual(a.got.map((m) => [m.id, m.type]), [[1, 'alert'], [2, 'decision_deleted']]);
    h.closeAll();
  });

  test('refuses clients beyond maxClients', () => {
    const { h } = hub({ maxClients: 2 });
    assert.ok(h.add(new RecordingSink()));
    assert.ok(h.add(new RecordingSink()));
    assert.equal(h.hasRoom(), false);
    assert.equal(h.add(new RecordingSink()), undefined);
    h.closeAll();
  });

  test('a client whose queue passes bufferBytes is disconnected and counted; others keep receiving', async () => {
    const { h, source, metrics } = hub({ bufferBytes: 1000 });
    const fast = new RecordingSink();
    const slow = new RecordingSink();
    h.add(fast);
    h.add(slow);
    slow.queued = 1001;
    source.publish({ type: 'alert', data: sampleAlert() });
    assert.equal(slow.closedWith, 'slow');
    assert.equal(h.size, 1);
    source.publish({ type: 'alert', data: sampleAlert() });
    assert.equal(fast.got.length, 2);
    assert.equal(slow.got.length, 1);
    const text = await metrics.registry.metrics();
    assert.match(text, /dio_stream_clients_dropped_total\{transport="sse",reason="slow"\} 1/);
    h.closeAll();
  });

  test('a client whose write throws is dropped without affecting the publisher', () => {
    const { h, source } = hub();
    const bad = new RecordingSink();
    bad.send = () => {
      throw new Error('EPIPE');
    };
    const good = new RecordingSink();
    h.add(bad);
    h.add(good);
    assert.doesNotThrow(() => source.publish({ type: 'alert', data: sampleAlert() }));
    assert.equal(bad.closedWith, 'error');
    assert.equal(good.got.length, 1);
    h.closeAll();
  });

  test('a message that cannot be encoded is skipped, not thrown at the publisher', () => {
    const { h, source } = hub();
    const a = new RecordingSink();
    h.add(a);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    assert.doesNotThrow(() => source.publish({ type: 'alert', data: cyclic as never }));
    source.publish({ type: 'alert', data: sampleAlert() });
    assert.equal(a.got.length, 1);
    h.closeAll();
  });

  test('heartbeats reach every client', async () => {
    const { h } = hub({ heartbeatMs: 5 });
    const a = new RecordingSink();
    h.add(a);
    const end = Date.now() + 5000;
    while (a.beats < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    assert.ok(a.beats >= 2);
    h.closeAll();
  });

  test('closeAll ends every client cleanly and refuses new ones', () => {
    const { h, source } = hub();
    const a = new RecordingSink();
    h.add(a);
    h.closeAll();
    assert.equal(a.closedWith, 'shutdown');
    assert.equal(source.listeners.size, 0);
    assert.equal(h.add(new RecordingSink()), undefined);
  });
});
