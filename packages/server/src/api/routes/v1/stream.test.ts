import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { get } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AlertSchema } from '@dio/protocol';
import { createTestApi, sampleAlert, type TestApi } from '../../testing/fakes.js';
import { SseClient, waitFor } from '../../testing/sse-client.js';
import type { ApiLimits } from '../../deps.js';

async function listening(limits?: ApiLimits): Promise<TestApi & { base: string }> {
  const t = await createTestApi(limits ? { limits } : {});
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = t.app.server.address() as AddressInfo;
  return { ...t, base: `http://127.0.0.1:${port}` };
}

function rawGet(url: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    }).on('error', reject);
  });
}

describe('GET /api/v1/stream (SSE, real socket)', () => {
  test('delivers an alert published on the LiveStream within 1 s', async () => {
    const t = await listening();
    const client = await SseClient.connect(`${t.base}/api/v1/stream?access_token=${t.adminKey}`);
    try {
      assert.equal(client.res.statusCode, 200);
      assert.match(String(client.res.headers['content-type']), /^text\/event-stream/);
      assert.equal(client.res.headers['cache-control'], 'no-cache, no-transform');
      await waitFor(() => client.retry !== undefined, 5000, 'prelude');
      assert.equal(client.retry, 3000);
      await waitFor(() => t.stream.listeners.size === 1, 5000, 'subscription');
      const alert = sampleAlert({ id: 'a-live' });
      t.stream.publish({ type: 'alert', data: alert });
      await waitFor(() => client.events.length === 1, 1000, 'alert within 1 s');
      const ev = client.events[0]!;
      assert.equal(ev.event, 'alert');
      assert.equal(ev.id, '1');
      assert.deepEqual(AlertSchema.parse(JSON.parse(ev.data)), alert);
    } finally {
      client.close();
      await t.app.close();
    }
  });

  test('decisions made through the API arrive as decision / decision_deleted events', async () => {
    const t = await listening();
    const client = await SseClient.connect(`${t.base}/api/v1/stream?access_token=${t.adminKey}`);
    try {
      await waitFor(() => t.stream.listeners.size === 1, 5000, 'subscription');
      const made = await t.app.inject({ method: 'POST', url: '/api/v1/decisions', payload: { value: '198.51.100.4' } });
      await t.app.inject({ method: 'DELETE', url: `/api/v1/decisions/${made.json().id}` });
      await waitFor(() => client.events.length === 2, 5000, 'two events');
      assert.deepEqual(client.events.map((e) => e.event), ['decision', 'decision_deleted']);
      assert.equal(JSON.parse(client.events[1]!.data).status, 'deleted');
    } finally {
      client.close();
      await t.app.close();
    }
  });

  test('sends heartbeat comments', async () => {
    const t = await listening({ streamHeartbeatMs: 20 });
    const client = await SseClient.connect(`${t.base}/api/v1/stream?access_token=${t.adminKey}`);
    try {
      await waitFor(() => client.comments.includes('heartbeat'), 5000, 'heartbeat');
    } finally {
      client.close();
      await t.app.close();
    }
  });

  test('beyond maxStreamClients → 503 stream.too_many_clients with Retry-After; a freed slot is reusable', async () => {
    const t = await listening({ maxStreamClients: 1 });
    const first = await SseClient.connect(`${t.base}/api/v1/stream?access_token=${t.adminKey}`);
    try {
      await waitFor(() => t.stream.listeners.size === 1, 5000, 'first client');
      const second = await rawGet(`${t.base}/api/v1/stream?access_token=${t.adminKey}`);
      assert.equal(second.status, 503);
      assert.equal(second.headers['retry-after'], '5');
      assert.equal(JSON.parse(second.body).error.code, 'stream.too_many_clients');
      first.close();
      await waitFor(() => t.stream.listeners.size === 0, 5000, 'slot freed');
      const third = await SseClient.connect(`${t.base}/api/v1/stream?access_token=${t.adminKey}`);
      assert.equal(third.res.statusCode, 200);
      third.close();
      const metrics = await t.metrics.registry.metrics();
      assert.match(metrics, /dio_stream_clients_dropped_total\{transport="sse",reason="limit"\} 1/);
    } finally {
      first.close();
      await t.app.close();
    }
  });

  test('a client that stops reading is disconnected once its buffer passes the bound', async () => {
    const t = await listening({ streamClientBufferBytes: 64 * 1024 });
    const slow = await SseClient.connect(`${t.base}/api/v1/stream?access_token=${t.adminKey}`);
    const fast = await SseClient.connect(`${t.base}/api/v1/stream?access_token=${t.adminKey}`);
    try {
      await waitFor(() => t.stream.listeners.size === 1 && slow.retry !== undefined && fast.retry !== undefined, 5000, 'clients');
      slow.res.pause();
      const big = sampleAlert({ title: 'x'.repeat(500), evidence: { ...sampleAlert().evidence, first_event: { ...sampleAlert().evidence.first_event, message: 'm'.repeat(60_000) } } });
      let sent = 0;
      const dropped = async () => /reason="slow"\} 1/.test(await t.metrics.registry.metrics());
      // Kernel socket buffers absorb a few MB first; then Node's queue grows and the hub cuts the client.
      while (!(await dropped()) && sent < 2000) {
        t.stream.publish({ type: 'alert', data: { ...big, id: `a-${sent++}` } });
        await new Promise((r) => setImmediate(r));
      }
      assert.ok(await dropped(), `slow client not dropped after ${sent} messages`);
      await waitFor(() => fast.events.length === sent, 10_000, 'fast client got everything');
      slow.res.resume();
      await waitFor(() => slow.closed, 10_000, 'slow client closed');
      assert.ok(slow.events.length < sent);
    } finally {
      slow.close();
      fast.close();
      await t.app.close();
    }
  });

  test('HEAD is not routed (it would hold a slot with nothing to read)', async () => {
    const t = await createTestApi();
    const r = await t.app.inject({ method: 'HEAD', url: '/api/v1/stream' });
    assert.equal(r.statusCode, 404);
    assert.equal(t.stream.listeners.size, 0);
    await t.app.close();
  });

  test('app.close() ends open streams instead of hanging', async () => {
    const t = await listening();
    const client = await SseClient.connect(`${t.base}/api/v1/stream?access_token=${t.adminKey}`);
    await waitFor(() => t.stream.listeners.size === 1, 5000, 'subscription');
    await t.app.close();
    await waitFor(() => client.closed, 5000, 'client closed');
    assert.equal(t.stream.listeners.size, 0);
  });
});

describe('GET /api/v1/stream/ws (WebSocket)', () => {
  test('sends the same messages as JSON text frames', async () => {
    const t = await createTestApi();
    await t.app.ready(); // injectWS routes directly; it does not make the app ready itself
    const ws = await t.app.injectWS(`/api/v1/stream/ws?access_token=${t.adminKey}`);
    try {
      const frames: string[] = [];
      ws.on('message', (data: Buffer, isBinary: boolean) => {
        assert.equal(isBinary, false);
        frames.push(data.toString());
      });
      await waitFor(() => t.stream.listeners.size === 1, 5000, 'subscription');
      t.stream.publish({ type: 'alert', data: sampleAlert({ id: 'a-ws' }) });
      await waitFor(() => frames.length === 1, 5000, 'frame');
      const msg = JSON.parse(frames[0]!);
      assert.equal(msg.type, 'alert');
      assert.equal(msg.id, 1);
      assert.equal(AlertSchema.parse(msg.data).id, 'a-ws');
    } finally {
      ws.terminate();
      await t.app.close();
    }
  });

  test('refused with 503 before the upgrade when the hub is full', async () => {
    const t = await createTestApi({ limits: { maxStreamClients: 1 } });
    await t.app.ready();
    const first = await t.app.injectWS(`/api/v1/stream/ws?access_token=${t.adminKey}`);
    try {
      await waitFor(() => t.stream.listeners.size === 1, 5000, 'first');
      await assert.rejects(t.app.injectWS(`/api/v1/stream/ws?access_token=${t.adminKey}`), /503/);
    } finally {
      first.terminate();
      await t.app.close();
    }
  });

  test('a plain GET (no upgrade) → 426 stream.upgrade_required', async () => {
    const t = await createTestApi();
    const r = await t.app.inject({ url: '/api/v1/stream/ws' });
    assert.equal(r.statusCode, 426);
    assert.equal(r.json().error.code, 'stream.upgrade_required');
    await t.app.close();
  });
});
