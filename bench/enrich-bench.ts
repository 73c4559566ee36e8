/**
 * Enrich stage benchmark.
 *   node --expose-gc --import tsx bench/enrich-bench.ts [events=1000000] [distinct=3000]
 *
 * 1. RSS cost of opening the bundled country database.
 * 2. Cold lookups: the raw database adapter, and the enricher with every address new (misses).
 * 3. Hot path: `events` enrich() calls whose source addresses come from `distinct` addresses
 *    (70 % public IPv4, 20 % private IPv4, 10 % public IPv6), each event with its own freshly
 *    allocated address string, as a parser produces them (so string hashes are not pre-cached).
 *    Events are built in untimed batches of 1000 (a pipeline batch, so they are still in the
 *    young generation as in the real pipeline); only the enrich loop is timed.
 */
import type { DioEvent } from '@dio/protocol';
import { silentLogger } from '../packages/server/src/shared/logger.js';
import { openBundledCountryDb } from '../packages/server/src/pipeline/enrich/bundled-country-db.js';
import { createEnricher } from '../packages/server/src/pipeline/enrich/enricher.js';

const EVENTS = Number(process.argv[2] ?? 1_000_000);
const DISTINCT = Number(process.argv[3] ?? 3000);
/** A pipeline batch: events are enriched while young, as parse hands them over. */
const BATCH = 1000;
const logger = silentLogger();
const gc = (globalThis as { gc?: () => void }).gc;

/** Deterministic PRNG (mulberry32) so runs compare. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = rng(42);
const int = (n: number) => Math.floor(rand() * n);

function publicV4(): string {
  for (;;) {
    const a = 1 + int(223);
    if (a === 10 || a === 127 || a === 100 || a === 169 || a === 172 || a === 192 || a === 198 || a === 203) continue;
    return `${a}.${int(256)}.${int(256)}.${1 + int(254)}`;
  }
}
const privateV4 = () => `10.${int(256)}.${int(256)}.${1 + int(254)}`;
const publicV6 = () => `2a0${int(10)}:${int(0xffff).toString(16)}:${int(0xffff).toString(16)}::${(1 + int(0xfffe)).toString(16)}`;

function mb(n: number): string {
  return `${(n / 1048576).toFixed(1)} MB`;
}

function rate(n: number, ms: number): string {
  const r = (n / ms) * 1000;
  return r >= 1e6 ? `${(r / 1e6).toFixed(2)} M/s` : `${(r / 1e3).toFixed(0)} k/s`;
}

// 1. RSS of the bundled database
gc?.();
const rss0 = process.memoryUsage().rss;
let t = performance.now();
const country = await openBundledCountryDb({ logger });
const openMs = performance.now() - t;
gc?.();
const rss1 = process.memoryUsage().rss;
console.log(`open bundled country db: ${openMs.toFixed(0)} ms, RSS +${mb(rss1 - rss0)} (${gc ? 'after gc' : 'run with --expose-gc for a steadier figure'})`);

// 2. cold lookups
const COLD = 200_000;
const coldV4 = Array.from({ length: COLD }, publicV4);
const coldV6 = Array.from({ length: COLD / 4 }, publicV6);
t = performance.now();
let found = 0;
for (const ip of coldV4) if (country.lookup(ip) !== undefined) found++;
let ms = performance.now() - t;
console.log(`cold adapter lookups, IPv4: ${rate(COLD, ms)} (${((found / COLD) * 100).toFixed(1)} % found)`);
t = performance.now();
for (const ip of coldV6) country.lookup(ip);
ms = performance.now() - t;
console.log(`cold adapter lookups, IPv6: ${rate(coldV6.length, ms)}`);
{
  const cold = createEnricher({ country, logger, cacheSize: 0 });
  const evs = coldV4.map((ip): DioEvent => ({ '@timestamp': '2026-01-01T00:00:00Z', event: { kind: 'event' }, source: { ip } }));
  t = performance.now();
  for (const e of evs) cold.enrich(e);
  ms = performance.now() - t;
  console.log(`cold enrich() (every address a miss: canonicalise + class + lookup + ECS objects): ${rate(COLD, ms)}`);
}

// 3. hot path
const pool: string[] = [];
for (let i = 0; i < DISTINCT; i++) {
  const r = rand();
  pool.push(r < 0.7 ? publicV4() : r < 0.9 ? privateV4() : publicV6());
}
const event = { kind: 'event' as const };
function batch(n: number, withDestination: boolean): DioEvent[] {
  const out: DioEvent[] = new Array<DioEvent>(n);
  for (let i = 0; i < n; i++) {
    // a fresh string per event, like a parser's slice of the log line
    const ip = (' ' + pool[int(DISTINCT)]).slice(1);
    const e: DioEvent = { '@timestamp': '2026-01-01T00:00:00Z', event, source: { ip, port: 40000 + (i & 1023) } };
    if (withDestination) e.destination = { ip: ('.' + '10.0.0.5').slice(1), port: 22 };
    out[i] = e;
  }
  return out;
}

const ROUNDS = 5;
for (const withDestination of [false, true]) {
  const enricher = createEnricher({ country, logger });
  // warm: first sight of every distinct address (the misses), not timed
  for (const e of batch(DISTINCT * 3, withDestination)) enricher.enrich(e);
  const rates: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    let timed = 0;
    for (let done = 0; done < EVENTS; done += BATCH) {
      const n = Math.min(BATCH, EVENTS - done);
      const evs = batch(n, withDestination);
      const t0 = performance.now();
      for (let i = 0; i < n; i++) enricher.enrich(evs[i]!);
      timed += performance.now() - t0;
    }
    rates.push((EVENTS / timed) * 1000);
  }
  const s = enricher.stats();
  const fmt = (r: number) => `${(r / 1e6).toFixed(2)}`;
  console.log(
    `hot enrich() x ${EVENTS.toLocaleString('en')} per round, ${DISTINCT} distinct sources${withDestination ? ' + destination' : ''}: best ${fmt(Math.max(...rates))} M events/s (rounds: ${rates.map(fmt).join(', ')}; misses ${s.misses} of ${s.lookups})`,
  );
}

// floor: the same loop doing only the cache's Map.get on the fresh address strings
{
  const m = new Map(pool.map((ip) => [ip, 1]));
  const rates: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    let timed = 0;
    let sum = 0;
    for (let done = 0; done < EVENTS; done += BATCH) {
      const evs = batch(BATCH, false);
      const t0 = performance.now();
      for (let i = 0; i < BATCH; i++) sum += m.get(evs[i]!.source!.ip!)!;
      timed += performance.now() - t0;
    }
    if (sum !== EVENTS) throw new Error('unreachable');
    rates.push((EVENTS / timed) * 1000);
  }
  console.log(`floor (Map.get of a fresh string only): best ${(Math.max(...rates) / 1e6).toFixed(2)} M/s`);
}


// memory of a full cache: 65,536 distinct public addresses
{
  const enricher = createEnricher({ country, logger });
  const ips = Array.from({ length: 65536 }, () => (rand() < 0.8 ? publicV4() : publicV6()));
  gc?.();
  const h0 = process.memoryUsage().heapUsed;
  for (const ip of ips) enricher.enrich({ '@timestamp': '2026-01-01T00:00:00Z', event, source: { ip } });
  gc?.();
  const h1 = process.memoryUsage().heapUsed;
  console.log(`full cache (${enricher.stats().cached} addresses): heap +${mb(h1 - h0)} (${((h1 - h0) / enricher.stats().cached).toFixed(0)} B per address, keys included)`);
}
console.log(`load average at end: ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')}`);
