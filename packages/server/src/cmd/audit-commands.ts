import { join } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config/load-config.js';
import { verifyStoredAudit, type AuditVerification } from '../storage/audit-verify.js';
import type { AuditRecord } from '../storage/port.js';
import { readAuditAnchor } from './audit-anchor.js';
import { clientFor, emit, qs, SERVER_HELP } from './client-context.js';
import { parseOutputFormat, renderTable } from './output.js';

function report(v: AuditVerification, where: string, output: string): void {
  emit(output, v, () =>
    v.ok
      ? `audit chain OK: ${v.records} records, head seq ${v.head.seq} (${v.head.hash.slice(0, 16)}…) — ${where}`
      : `AUDIT CHAIN BROKEN at seq ${v.broken_at}: ${v.reason}\n${v.records} records verified before it — ${where}`,
  );
  process.exitCode = v.ok ? 0 : 1;
}

/** `dio audit list|verify`. */
export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('the append-only, hash-chained audit trail');
  audit
    .command('list')
    .description('audit records, oldest first (use --since-seq to page)')
    .option('--server <url>', SERVER_HELP)
    .option('--actor <actor>', 'e.g. user:alice, apikey:ci, agent:web01')
    .option('--action <action>', 'e.g. decision.create, agent.revoke, auth.rejected')
    .option('--target <target>', 'exact, or a prefix ending in ":" (agent:)')
    .option('--since <iso>', 'records at or after this time')
    .option('--since-seq <n>', 'records after this sequence number')
    .option('--limit <n>', 'how many', '100')
    .option('-o, --output <format>', 'table or json', parseOutputFormat, 'table')
    .action(async (o: { server?: string; actor?: string; action?: string; target?: string; since?: string; sinceSeq?: string; limit: string; output: string }) => {
      const { items } = await clientFor(o.server).get<{ items: AuditRecord[] }>(`/api/v1/audit${qs({ actor: o.actor, action: o.action, target: o.target, since: o.since, since_seq: o.sinceSeq, limit: o.limit })}`);
      emit(o.output, items, () => (items.length ? renderTable(['seq', 'at', 'actor', 'action', 'target', 'from'], items.map((r) => [r.seq, r.at.slice(0, 19).replace('T', ' '), r.actor, r.action, r.target, r.origin])) : 'no audit records'));
    });
  audit
    .command('verify')
    .description('check every link of the hash chain (exit 1 when a record was edited or deleted)')
    .option('--server <url>', `verify through a server's API (${SERVER_HELP})`)
    .option('--data-dir <dir>', "verify the database in this data directory directly (read-only; works while DIO is stopped)")
    .option('--db <file>', 'verify this SQLite database file directly')
    .option('-o, --output <format>', 'table or json', parseOutputFormat, 'table')
    .action(async (o: { server?: string; dataDir?: string; db?: string; output: string }) => {
      if (o.dataDir || o.db) {
        const dataDir = o.dataDir ?? loadConfig({ file: process.env.DIO_CONFIG ?? 'dio.yaml' }).config.data_dir;
        const path = o.db ?? join(dataDir, 'dio.db');
        // Loaded on demand: the SQLite driver is not something every dio command should pay for.
        const { createSqliteStore } = await import('../storage/sqlite/sqlite-store.js');
        const store = createSqliteStore({ path, readonly: true });
        try {
          report(await verifyStoredAudit(store, o.db ? undefined : readAuditAnchor(dataDir)), path, o.output);
        } finally {
          await store.close();
        }
        return;
      }
      const c = clientFor(o.server);
      report(await c.get<AuditVerification>('/api/v1/audit/verify'), c.base, o.output);
    });
}
