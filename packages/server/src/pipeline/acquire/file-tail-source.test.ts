import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, chmodSync, closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync, renameSync, rmSync, rmdirSync, truncateSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../shared/logger.js';
import type { SourceOffset } from '../../storage/port.js';
import { createFileTailSource, type FileTailSourceOptions } from './file-tail-source.js';
import type { LineBatch, LineSource, OffsetStore } from './port.js';

const logger = silentLogger();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** In-memory OffsetStore (tests only; the Store implements the real one). */
class MemoryOffsets implements OffsetStore {
  readonly map = new Map<string, SourceOffset>();
  getOffset(source: string): Promise<SourceOffset | undefined> {
    const o = this.map.get(source);
    return Promise.resolve(o && { ...o });
  }
  saveOffset(o: SourceOffset): Promise<void> {
    this.map.set(o.source, { ...o });
    return Promise.resolve();
  }
}

async function waitFor(what: string, cond: () => boolean, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

let dir: string;
let seq = 0;
const running: LineSource[] = [];

function newPath(): string {
  return join(dir, `app-${++seq}.log`);
}

async function tail(opts: Partial<FileTailSourceOptions> & { path: string }, store = new MemoryOffsets()) {
  const lines: string[] = [];
  const batches: LineBatch[] = [];
  const src = createFileTailSource({ offsets: store, logger, pollIntervalMs: 50, retry: { initialMs: 50, maxMs: 400 }, rotateGraceMs: 300, ...opts });
  running.push(src);
  await src.start((b) => {
    batches.push(b);
    lines.push(...b.lines);
    return Promise.resolve();
  });
  return { src, lines, batches, store };
}

function numbered(from: number, to: number): string[] {
  return Array.from({ length: to - from }, (_, k) => `line ${from + k} of the test log`);
}

/** Appends numbered lines a few at a time while `rotate(i)` may rotate the file in between. */
async function writeLines(path: string, total: number, rotate: (i: number) => Promise<void> | void): Promise<void> {
  for (let i = 0; i < total; ) {
    const n = Math.min(7, total - i);
    appendFileSync(path, numbered(i, i + n).join('\n') + '\n');
    i += n;
    await rotate(i);
    await sleep(1);
  }
}

describe('file tail source', () => {
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'dio-tail-'));
  });
  after(async () => {
    await Promise.all(running.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  test('a never-seen file is read from its end; the line being written is picked up whole', async () => {
    const path = newPath();
    writeFileSync(path, 'old 1\nold 2\nhalf of ');
    const t = await tail({ path });
    assert.equal(t.src.status().state, 'running');
    appendFileSync(path, 'a line\nnew 2\n');
    await waitFor('2 lines', () => t.lines.length >= 2);
    await sleep(100);
    assert.deepEqual(t.lines, ['half of a line', 'new 2']);
    assert.equal(t.batches[0]!.source, `file:${path}`);
    await t.src.stop();
    assert.equal(t.src.status().state, 'stopped');
  });

  test('startAt beginning; an incomplete trailing line is held until completed', async () => {
    const path = newPath();
    writeFileSync(path, 'one\ntwo\nthr');
    const t = await tail({ path, startAt: 'beginning' });
    await waitFor('2 lines', () => t.lines.length >= 2);
    await sleep(200);
    assert.deepEqual(t.lines, ['one', 'two']);
    appendFileSync(path, 'ee\n');
    await waitFor('3 lines', () => t.lines.length >= 3);
    assert.deepEqual(t.lines, ['one', 'two', 'three']);
    assert.equal(t.batches.at(-1)!.endOffset, 14);
    await t.src.stop();
  });

  test('rename rotation (logrotate style) while lines keep being appended: each line once, in order', async () => {
    const path = newPath();
    writeFileSync(path, '');
    const t = await tail({ path });
    const total = 3000;
    let r = 0;
    await writeLines(path, total, (i) => {
      if (i % 700 < 7 && i > 7) renameSync(path, `${path}.${++r}`);
    });
    await waitFor(`${total} lines`, () => t.lines.length >= total);
    await sleep(200);
    assert.deepEqual(t.lines, numbered(0, total));
    assert.ok(r >= 4);
    await t.src.stop();
  });

  test('rename + create, writer keeps appending to the old file until it reopens: nothing lost', async () => {
    const path = newPath();
    writeFileSync(path, '');
    const t = await tail({ path });
    let fd = openSync(path, 'a');
    let i = 0;
    const write = (n: number) => {
      writeSync(fd, numbered(i, i + n).join('\n') + '\n');
      i += n;
    };
    for (let k = 0; k < 50; k++, await sleep(1)) write(5);
    renameSync(path, `${path}.1`);
    writeFileSync(path, ''); // logrotate `create`
    for (let k = 0; k < 50; k++, await sleep(2)) write(5); // app has not reopened yet
    closeSync(fd);
    fd = openSync(path, 'a'); // postrotate HUP: app reopens the path
    for (let k = 0; k < 50; k++, await sleep(1)) write(5);
    closeSync(fd);
    await waitFor(`${i} lines`, () => t.lines.length >= i);
    await sleep(200);
    assert.deepEqual(t.lines, numbered(0, i));
    await t.src.stop();
  });

  test('copytruncate rotation while lines keep being appended: each line once, in order', async () => {
    const path = newPath();
    writeFileSync(path, '');
    const t = await tail({ path });
    const total = 2500;
    let r = 0;
    await writeLines(path, total, async (i) => {
      if (i % 500 < 7 && i > 7) {
        // Lines written but not yet read when the file is truncated are lost to any reader
        // (they are only in the copy): rotate when the reader has caught up, as in practice.
        await waitFor('catch up', () => t.lines.length >= i);
        copyFileSync(path, `${path}.${++r}`);
        truncateSync(path, 0);
      }
    });
    await waitFor(`${total} lines`, () => t.lines.length >= total);
    await sleep(200);
    assert.deepEqual(t.lines, numbered(0, total));
    assert.ok(r >= 4);
    await t.src.stop();
  });

  test('restart resumes after the last processed line: no line skipped or repeated', async () => {
    const path = newPath();
    const store = new MemoryOffsets();
    writeFileSync(path, numbered(0, 10).join('\n') + '\n');
    const a = await tail({ path, startAt: 'beginning' }, store);
    await waitFor('10 lines', () => a.lines.length >= 10);
    appendFileSync(path, 'cut in ');
    await sleep(150);
    await a.src.stop();
    assert.deepEqual(a.lines, numbered(0, 10));
    appendFileSync(path, 'half\n' + numbered(10, 15).join('\n') + '\n');
    const b = await tail({ path, startAt: 'beginning' }, store);
    await waitFor('6 lines', () => b.lines.length >= 6);
    await sleep(200);
    assert.deepEqual(b.lines, ['cut in half', ...numbered(10, 15)]);
    await b.src.stop();

    // Rotated while stopped: the new file is read from its start.
    renameSync(path, `${path}.1`);
    writeFileSync(path, 'fresh 1\nfresh 2\n');
    const c = await tail({ path }, store);
    await waitFor('2 lines', () => c.lines.length >= 2);
    assert.deepEqual(c.lines, ['fresh 1', 'fresh 2']);
    await c.src.stop();

    // Same inode rewritten with other content (head hash differs): read from the start.
    writeFileSync(path, 'other 1\nother 2\nother 3\n');
    const d = await tail({ path }, store);
    await waitFor('3 lines', () => d.lines.length >= 3);
    assert.deepEqual(d.lines, ['other 1', 'other 2', 'other 3']);
    await d.src.stop();
  });

  test('startAt end is remembered: lines appended while stopped are read on restart', async () => {
    const path = newPath();
    const store = new MemoryOffsets();
    writeFileSync(path, 'old\n');
    const a = await tail({ path }, store);
    await a.src.stop();
    appendFileSync(path, 'while down\n');
    const b = await tail({ path }, store);
    await waitFor('1 line', () => b.lines.length >= 1);
    assert.deepEqual(b.lines, ['while down']);
    await b.src.stop();
  });

  test('an incomplete last line is flushed when the file is rotated away', async () => {
    const path = newPath();
    writeFileSync(path, '');
    const t = await tail({ path });
    appendFileSync(path, 'complete\nno newline yet');
    await waitFor('1 line', () => t.lines.length >= 1);
    renameSync(path, `${path}.1`);
    writeFileSync(path, 'new file\n');
    await waitFor('3 lines', () => t.lines.length >= 3);
    assert.deepEqual(t.lines, ['complete', 'no newline yet', 'new file']);
    await t.src.stop();
  });

  test('file deleted then recreated: retrying while gone, then the new file from its start', async () => {
    const path = newPath();
    writeFileSync(path, '');
    const t = await tail({ path });
    appendFileSync(path, 'before\n');
    await waitFor('1 line', () => t.lines.length >= 1);
    unlinkSync(path);
    await waitFor('retrying', () => t.src.status().state === 'retrying');
    const st = t.src.status();
    assert.match(st.error ?? '', /removed|ENOENT/);
    assert.ok((st.retryInMs ?? 0) > 0);
    writeFileSync(path, 'after 1\nafter 2\n');
    await waitFor('3 lines', () => t.lines.length >= 3);
    assert.deepEqual(t.lines, ['before', 'after 1', 'after 2']);
    await waitFor('running', () => t.src.status().state === 'running');
    await t.src.stop();
  });

  test('missing file (and missing directory) at start: retrying with backoff, read from its start once created', async () => {
    const path = newPath();
    const t = await tail({ path });
    const st = t.src.status();
    assert.equal(st.state, 'retrying');
    assert.match(st.error ?? '', /ENOENT/);
    assert.ok((st.retryInMs ?? 0) > 0);
    assert.ok((st.dropped['error:enoent'] ?? 0) >= 1);
    writeFileSync(path, 'first\nsecond\n');
    await waitFor('2 lines', () => t.lines.length >= 2);
    assert.deepEqual(t.lines, ['first', 'second']);
    assert.equal(t.src.status().state, 'running');
    await t.src.stop();

    const sub = join(dir, `later-${++seq}`);
    const p2 = join(sub, 'x.log');
    const u = await tail({ path: p2 });
    assert.equal(u.src.status().state, 'retrying');
    mkdirSync(sub);
    writeFileSync(p2, 'x\n');
    await waitFor('1 line', () => u.lines.length >= 1);
    assert.deepEqual(u.lines, ['x']);
    await u.src.stop();
  });

  test('unreadable path (a directory): retrying with the reason, then recovers', async () => {
    const path = newPath();
    mkdirSync(path);
    const t = await tail({ path });
    await waitFor('retrying', () => t.src.status().state === 'retrying');
    assert.match(t.src.status().error ?? '', /not a regular file/);
    rmdirSync(path);
    writeFileSync(path, 'readable now\n');
    await waitFor('1 line', () => t.lines.length >= 1);
    assert.deepEqual(t.lines, ['readable now']);
    await t.src.stop();
  });

  test('unreadable file (chmod 000): retrying with EACCES, then recovers', { skip: process.getuid?.() === 0 ? 'running as root: chmod does not block root (the directory case above covers it)' : false }, async () => {
    const path = newPath();
    writeFileSync(path, 'secret\n');
    chmodSync(path, 0);
    const t = await tail({ path });
    await waitFor('retrying', () => t.src.status().state === 'retrying');
    assert.match(t.src.status().error ?? '', /EACCES/);
    chmodSync(path, 0o644);
    await waitFor('1 line', () => t.lines.length >= 1);
    assert.deepEqual(t.lines, ['secret']);
    await t.src.stop();
  });

  test('overlong, binary and invalid UTF-8 lines are counted', async () => {
    const path = newPath();
    writeFileSync(path, '');
    const t = await tail({ path, maxLineBytes: 8 });
    appendFileSync(path, Buffer.concat([Buffer.from('0123456789abc\nbi\0n\nok\n'), Buffer.from([0xc3, 0x28, 0x0a])]));
    await waitFor('3 lines', () => t.lines.length >= 3);
    assert.deepEqual(t.lines, ['01234567', 'ok', '\ufffd(']);
    const d = t.src.status().dropped;
    assert.equal(d.overlong, 1);
    assert.equal(d.binary, 1);
    assert.equal(d.invalid_utf8, 1);
    await t.src.stop();
  });

  test('backpressure: one batch at a time; a failing sink gets the lines again (nothing skipped)', async () => {
    const path = newPath();
    writeFileSync(path, '');
    const lines: string[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    let failures = 0;
    const src = createFileTailSource({ path, offsets: new MemoryOffsets(), logger, pollIntervalMs: 50, retry: { initialMs: 20, maxMs: 50 } });
    running.push(src);
    await src.start(async (b) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await sleep(20);
      inFlight--;
      if (b.lines.includes('line 40 of the test log') && failures === 0) {
        failures++;
        throw new Error('sink down');
      }
      lines.push(...b.lines);
    });
    await writeLines(path, 300, () => undefined);
    await waitFor('300 lines', () => lines.length >= 300);
    await sleep(200);
    assert.deepEqual(lines, numbered(0, 300));
    assert.equal(maxInFlight, 1);
    assert.equal(failures, 1);
    assert.equal(src.status().dropped['error:error'], 1, JSON.stringify(src.status()));
    await src.stop();
  });
});
