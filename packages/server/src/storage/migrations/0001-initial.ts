import { sql, type Kysely, type Migration } from 'kysely';
import type { SqlDialectName } from './schema.js';

/**
 * The first schema. Written with Kysely's schema builder only; the one dialect difference is the
 * auto-assigned event id (SQLite's INTEGER PRIMARY KEY rowid alias vs a PostgreSQL identity).
 */
export function initialMigration(dialect: SqlDialectName): Migration {
  return {
    async up(db: Kysely<unknown>) {
      const events = db.schema.createTable('events');
      await (dialect === 'postgres'
        ? events.addColumn('id', 'bigint', (c) => c.primaryKey().generatedByDefaultAsIdentity())
        : events.addColumn('id', 'integer', (c) => c.primaryKey()))
        .addColumn('ts', 'bigint', (c) => c.notNull())
        .addColumn('action', 'text')
        .addColumn('dataset', 'text')
        .addColumn('source_ip', 'text')
        .addColumn('message', 'text')
        .addColumn('doc', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('events_ts_id').on('events').columns(['ts', 'id']).execute();
      // Partial: events without a source address (plenty of syslog) do not pay for this index.
      await db.schema.createIndex('events_source_ip_ts').on('events').columns(['source_ip', 'ts']).where(sql.ref('source_ip'), 'is not', null).execute();

      await db.schema
        .createTable('ingest_batches')
        .addColumn('batch_id', 'text', (c) => c.primaryKey())
        .addColumn('received_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('ingest_batches_received_at').on('ingest_batches').column('received_at').execute();

      await db.schema
        .createTable('alerts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('scenario', 'text', (c) => c.notNull())
        .addColumn('severity', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('source_ip', 'text')
        .addColumn('technique', 'text', (c) => c.notNull())
        .addColumn('doc', 'text', (c) => c.notNull())
        .execute();
      // (x, created_at) indexes serve "filter x, newest first" listings without a sort.
      await db.schema.createIndex('alerts_created_id').on('alerts').columns(['created_at', 'id']).execute();
      await db.schema.createIndex('alerts_source_ip_created').on('alerts').columns(['source_ip', 'created_at']).execute();
      await db.schema.createIndex('alerts_scenario_created').on('alerts').columns(['scenario', 'created_at']).execute();
      await db.schema.createIndex('alerts_status_created').on('alerts').columns(['status', 'created_at']).execute();

      await db.schema
        .createTable('decisions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('origin', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('simulated', 'integer', (c) => c.notNull())
        .addColumn('doc', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('decisions_created_id').on('decisions').columns(['created_at', 'id']).execute();
      await db.schema.createIndex('decisions_status_expires').on('decisions').columns(['status', 'expires_at']).execute();
      await db.schema.createIndex('decisions_value_created').on('decisions').columns(['value', 'created_at']).execute();

      await db.schema
        .createTable('audit')
        .addColumn('seq', 'bigint', (c) => c.primaryKey())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('target', 'text', (c) => c.notNull())
        .addColumn('origin', 'text', (c) => c.notNull())
        .addColumn('before', 'text')
        .addColumn('after', 'text')
        .addColumn('prev_hash', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('source_offsets')
        .addColumn('source', 'text', (c) => c.primaryKey())
        .addColumn('file_id', 'text', (c) => c.notNull())
        .addColumn('file_offset', 'bigint', (c) => c.notNull())
        .addColumn('head_hash', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
    },

    async down(db: Kysely<unknown>) {
      for (const t of ['source_offsets', 'audit', 'decisions', 'alerts', 'ingest_batches', 'events']) {
        await db.schema.dropTable(t).ifExists().execute();
      }
    },
  };
}
