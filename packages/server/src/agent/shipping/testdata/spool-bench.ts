/**
 * Spool throughput on this machine: `node --import tsx packages/server/src/agent/shipping/testdata/spool-bench.ts`.
 * Events are real parser output (sshd lines through content/parsers), JSON-encoded like the
 * shipper does. Measures append (gzip + write + fdatasync) in big and tiny batches, and peek+ack.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultContentDir } from '../../../cmd/content-dir.js';
import { loadParsers } from '../../../pipeline/parse/load-parsers.js';
import { silentLogger } from '../../../shared/logger.js';
import { openDiskSpool } from '../disk-spool.js';

const logger = silentLogger();
const parser = await loadParsers(join(defaultContentDir(), 'parsers'));
const events = Array.from({ length: 5000 }, (_, i) => {
  const ev = parser.parse(`Oct  6 00:00:01 web01 sshd[${1000 + (i % 50)}]: Failed password for invalid user admin${i} from 203.0.113.${i % 250} port ${30000 + i} ssh2`, { source: 'file:/var/log/auth.log', type: 'sshd', referenceTime: Date.UTC(2026, 9, 6) })!.event;
  ev.dio = { ...ev.dio, agent_id: 'bench', input: 'file:/var/log/auth.log' };
  return JSON.stringify(ev);
});
const avgBytes = events.reduce((a, e) => a + e.length, 0) / events.length;

async function run(name: string, batchEvents: number, perAppend: number, appends: number, gzipLevel: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'dio-spool-bench-'));
  const spool = await openDiskSpool({ dir, agentId: 'bench', logger, gzipLevel, maxBytes: 2 * 1024 ** 3, maxRecords: 1_000_000 });
  let off = 0;
  const t0 = performance.now();
  for (let i = 0; i < appends; i++) {
    const group = Array.from({ length: perAppend }, () => {
      const evs = events.slice(off % 4000, (off % 4000) + batchEvents);
      off += batchEvents;
      return { source: 'file:/var/log/auth.log', fileId: '1:2', endOffset: off, events: evs };
    });
    await spool.append(group);
  }
  const t1 = performance.now();
  const s = spool.stats();
  let acked = 0;
  for (let r = await spool.peek(); r; r = await spool.peek()) {
    await spool.ack(r.seq);
    acked++;
  }
  const t2 = performance.now();
  const sec = (t1 - t0) / 1000;
  console.log(
    `${name.padEnd(34)} ${String(Math.round(s.events / sec)).padStart(8)} events/s ${String(Math.round(s.batches / sec)).padStart(6)} batches/s ` +
      `${((s.bytes / (s.events * avgBytes)) * 100).toFixed(1).padStart(5)}% of JSON size | peek+ack ${Math.round(acked / ((t2 - t1) / 1000))} batches/s`,
  );
  await spool.close();
  rmSync(dir, { recursive: true, force: true });
}

console.log(`event JSON: ${avgBytes.toFixed(0)} bytes on average; ${process.version}`);
await run('1000-event batches, gzip 6', 1000, 1, 100, 6);
await run('1000-event batches, gzip 1', 1000, 1, 100, 1);
await run('1000-event batches ×4 per group, gzip 6', 1000, 4, 25, 6);
await run('1-event batches (one fsync each)', 1, 1, 2000, 6);
await run('10-event batches', 10, 1, 1000, 6);
