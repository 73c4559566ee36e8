import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { isAppError } from '../../shared/app-error.js';
import { silentLogger } from '../../shared/logger.js';
import type { LineBatch } from './port.js';
import { createReplaySource } from './replay-source.js';
import { createStdinSource } from './stdin-source.js';

const logger = silentLogger();
let dir: string;

function collect() {
  const batches: LineBatch[] = [];
  const sink = (b: LineBatch) => {
    batches.push(b);
    return Promise.resolve();
  };
  return { batches, sink, lines: () => batches.flatMap((b) => b.lines) };
}

function makeLog(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += `Oct  6 00:00:${String(i % 60).padStart(2, '0')} host sshd[${i}]: Failed password for root from 203.0.113.${i % 250} port ${1000 + i} ssh2 — é€\n`;
  return s;
}

describe('replay and stdin sources', () => {
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'dio-replay-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('gzip replay equals plain replay (detected by magic bytes, not by name), in bounded batches', async () => {
    const text = makeLog(20_000) + 'no newline at end';
    writeFileSync(join(dir, 'plain.log'), text);
    // Misleading names on purpose: detection must look at the bytes.
    writeFileSync(join(dir, 'compressed.log'), gzipSync(text));
    writeFileSync(join(dir, 'plain.gz'), text);
    const runs = [];
    for (const name of ['plain.log', 'compressed.log', 'plain.gz']) {
      const c = collect();
      const src = createReplaySource({ path: join(dir, name), batchLines: 1000, logger });
      await src.start(c.sink);
      const st = src.status();
      assert.equal(st.state, 'done');
      assert.equal(st.linesRead, 20_001);
      assert.ok(c.batches.every((b) => b.lines.length <= 1000 && b.lines.length > 0));
      runs.push(c);
    }
    const expected = text.split('\n');
    for (const c of runs) assert.deepEqual(c.lines(), expected);
    // Offsets of the last batch: the end of the decompressed text.
    assert.equal(runs[1]!.batches.at(-1)!.endOffset, Buffer.byteLength(text));
  });

  test('truncated gzip delivers every complete line before the damage, then fails clearly', async () => {
    const text = makeLog(50_000);
    const gz = gzipSync(text);
    writeFileSync(join(dir, 'cut.gz'), gz.subarray(0, Math.floor(gz.length * 0.6)));
    const c = collect();
    const src = createReplaySource({ path: join(dir, 'cut.gz'), logger });
    await assert.rejects(src.start(c.sink), (e: unknown) => isAppError(e) && e.code === 'acquire.truncated_gzip' && /gzip stream truncated after \d+ bytes/.test(e.message));
    const st = src.status();
    assert.equal(st.state, 'failed');
    assert.match(st.error ?? '', /truncated after \d+ bytes/);
    const got = c.lines();
    assert.ok(got.length > 20_000, `only ${got.length} lines delivered`);
    assert.deepEqual(got, text.split('\n').slice(0, got.length));
    // No cut-off half line at the end.
    assert.equal(got.at(-1), text.split('\n')[got.length - 1]);
  });

  test('corrupt gzip body fails with the same code', async () => {
    const gz = gzipSync(makeLog(1000));
    gz.fill(0x55, 200, 400);
    writeFileSync(join(dir, 'corrupt.gz'), gz);
    const src = createReplaySource({ path: join(dir, 'corrupt.gz'), logger });
    await assert.rejects(src.start(collect().sink), (e: unknown) => isAppError(e) && e.code === 'acquire.truncated_gzip');
  });

  test('missing file and directory are clear errors', async () => {
    await assert.rejects(createReplaySource({ path: join(dir, 'nope.log'), logger }).start(collect().sink), (e: unknown) => isAppError(e) && e.code === 'acquire.not_found');
    mkdirSync(join(dir, 'adir'));
    await assert.rejects(createReplaySource({ path: join(dir, 'adir'), logger }).start(collect().sink), (e: unknown) => isAppError(e) && e.code === 'acquire.not_a_file');
  });

  test('empty file is done with no batch', async () => {
    writeFileSync(join(dir, 'empty.log'), '');
    const c = collect();
    const src = createReplaySource({ path: join(dir, 'empty.log'), logger });
    await src.start(c.sink);
    assert.equal(c.batches.length, 0);
    assert.equal(src.status().state, 'done');
  });

  test('counts overlong, binary and invalid UTF-8 lines', async () => {
    writeFileSync(join(dir, 'bad.log'), Buffer.concat([Buffer.from('x'.repeat(100) + '\nbin\0ary\nok\n'), Buffer.from([0xff, 0x41, 0x0a])]));
    const c = collect();
    const src = createReplaySource({ path: join(dir, 'bad.log'), maxLineBytes: 10, logger });
    await src.start(c.sink);
    assert.deepEqual(c.lines(), ['x'.repeat(10), 'ok', '\ufffdA']);
    assert.deepEqual(src.status().dropped, { overlong: 1, binary: 1, invalid_utf8: 1 });
  });

  test('stdin: delivers each read at once (live pipe), handles gzip, stops cleanly', async () => {
    const stream = new PassThrough();
    const c = collect();
    const src = createStdinSource({ stream, logger });
    const done = src.start(c.sink);
    stream.write('first line\nsecond ');
    for (let i = 0; i < 200 && c.lines().length < 1; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(c.lines(), ['first line']);
    stream.end('line\n');
    await done;
    assert.deepEqual(c.lines(), ['first line', 'second line']);
    assert.equal(src.status().state, 'done');

    const gz = new PassThrough();
    const c2 = collect();
    const src2 = createStdinSource({ stream: gz, logger });
    const done2 = src2.start(c2.sink);
    gz.end(gzipSync('a\nb\n'));
    await done2;
    assert.deepEqual(c2.lines(), ['a', 'b']);

    const idle = new PassThrough();
    const src3 = createStdinSource({ stream: idle, logger });
    const done3 = src3.start(collect().sink);
    idle.write('x');
    await src3.stop();
    await done3;
    assert.equal(src3.status().state, 'stopped');
  });
});
