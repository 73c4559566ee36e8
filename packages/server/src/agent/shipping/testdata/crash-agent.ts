/**
 * Agent of the crash test (a child process, killed with -9 at will): tails <log> into the spool
 * in <state dir> and ships to <base url> with the key in <key file> (re-read per request: the
 * server makes a new one on every start).
 * Prints "ready"; on SIGTERM stops gracefully and prints its final stats as one JSON line.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultContentDir } from '../../../cmd/content-dir.js';
import { loadParsers } from '../../../pipeline/parse/load-parsers.js';
import { createLogger } from '../../../shared/logger.js';
import { openDiskSpool } from '../disk-spool.js';
import { createLogShipper } from '../log-shipper.js';
import { createSpoolOffsets } from '../spool-offsets.js';
import { createFetchTransport } from './fetch-transport.js';

const [stateDir = '', logPath = '', base = '', keyFile = ''] = process.argv.slice(2);
const logger = createLogger({ level: process.env.DIO_CRASH_LOG === '1' ? 'debug' : 'silent' });
const spool = await openDiskSpool({ dir: stateDir, agentId: 'crash-agent', logger });
const offsets = createSpoolOffsets({ path: join(stateDir, 'offsets.json'), spool, logger });
const parser = await loadParsers(join(defaultContentDir(), 'parsers'));
const key = () => {
  try {
    return { authorization: `Bearer ${readFileSync(keyFile, 'utf8')}` };
  } catch {
    return {} as Record<string, string>;
  }
};
const shipper = createLogShipper({
  agentId: 'crash-agent',
  sources: [{ path: logPath, type: 'sshd' }],
  parser,
  spool,
  transport: createFetchTransport(base, { headers: key }),
  offsets,
  logger,
  batchMaxEvents: 50,
  batchMaxWaitMs: 10,
  tail: { startAt: 'beginning', pollIntervalMs: 20, offsetSaveIntervalMs: 300 },
  sender: { retry: { initialMs: 20, maxMs: 200 }, authRetryMs: 100, requestTimeoutMs: 3000, idleWaitMs: 50 },
});
await shipper.start();
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  void shipper
    .stop()
    .then(async () => {
      process.stdout.write(`${JSON.stringify(shipper.stats())}\n`);
      await spool.close();
    })
    .finally(() => process.exit(0));
});
