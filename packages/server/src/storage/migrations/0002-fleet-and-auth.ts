import { sql, type Kysely, type Migration } from 'kysely';
import type { SqlDialectName } from './schema.js';

/**
 * Identities (users, refresh tokens, API keys, server secrets) and the fleet (enrollment tokens,
 * agents, nonces, tasks, findings, telemetry, the decision change log, per-agent enforcement),
 * plus audit indexes for the target and time filters. Schema builder only; the one dialect branch
 * is the auto-assigned change-log seq. No foreign keys on purpose: tasks, findings, telemetry and
 * enforcement outlive the agent record they mention (see AgentStore.deleteAgent).
 */
export function fleetAndAuthMigration(dialect: SqlDialectName): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await authTables(db);
      await fleetTables(db);
      await feedTables(db, dialect);
      await db.schema.createIndex('audit_target_seq').on('audit').columns(['target', 'seq']).execute();
      await db.schema.createIndex('audit_at').on('audit').column('at').execute();
    },

    async down(db: Kysely<unknown>) {
      await db.schema.dropIndex('audit_at').ifExists().execute();
      await db.schema.dropIndex('audit_target_seq').ifExists().execute();
      const tables = ['agent_enforcement', 'decision_changes', 'telemetry', 'findings', 'tasks', 'agent_nonces', 'agents', 'enrollment_tokens', 'server_secrets', 'api_keys', 'refresh_tokens', 'users'];
      for (const t of tables) await db.schema.dropTable(t).ifExists().execute();
    },
  };
}

async function authTables(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('users')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('username', 'text', (c) => c.notNull())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('disabled', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('last_login_at', 'bigint')
    .addColumn('failed_logins', 'integer', (c) => c.notNull())
    .addColumn('locked_until', 'bigint')
    .addUniqueConstraint('users_username_unique', ['username'])
    .execute();

  await db.schema
    .createTable('refresh_tokens')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('family_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .addColumn('revoked_at', 'bigint')
    .execute();
  await db.schema.createIndex('refresh_tokens_family').on('refresh_tokens').column('family_id').execute();
  await db.schema.createIndex('refresh_tokens_user').on('refresh_tokens').column('user_id').execute();
  await db.schema.createIndex('refresh_tokens_expires').on('refresh_tokens').column('expires_at').execute();

  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('key_hash', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint')
    .addColumn('last_used_at', 'bigint')
    .addColumn('revoked', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('api_keys_created_id').on('api_keys').columns(['created_at', 'id']).execute();

  await db.schema
    .createTable('server_secrets')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
}

async function fleetTables(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('enrollment_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('token_hash', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('max_uses', 'integer', (c) => c.notNull())
    .addColumn('uses', 'integer', (c) => c.notNull())
    .addColumn('labels', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('revoked', 'integer', (c) => c.notNull())
    .addUniqueConstraint('enrollment_tokens_hash_unique', ['token_hash'])
    .execute();
  await db.schema.createIndex('enrollment_tokens_created_id').on('enrollment_tokens').columns(['created_at', 'id']).execute();

  await db.schema
    .createTable('agents')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('hostname', 'text', (c) => c.notNull())
    .addColumn('public_key', 'text', (c) => c.notNull())
    .addColumn('key_fingerprint', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('enrolled_at', 'bigint', (c) => c.notNull())
    .addColumn('last_seen_at', 'bigint')
    .addColumn('last_address', 'text')
    .addColumn('heartbeat_interval_s', 'integer', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('capabilities', 'text', (c) => c.notNull())
    .addColumn('labels', 'text', (c) => c.notNull())
    .addColumn('host', 'text', (c) => c.notNull())
    .addColumn('load', 'text')
    .addColumn('silent_since', 'bigint')
    .addColumn('token_id', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('agent_nonces')
    .addColumn('agent_id', 'text', (c) => c.notNull())
    .addColumn('nonce', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('agent_nonces_pk', ['agent_id', 'nonce'])
    .execute();
  await db.schema.createIndex('agent_nonces_expires').on('agent_nonces').column('expires_at').execute();

  await db.schema
    .createTable('tasks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('agent_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('timeout_s', 'integer', (c) => c.notNull())
    .addColumn('started_at', 'bigint')
    .addColumn('finished_at', 'bigint')
    .addColumn('error', 'text')
    .addColumn('result', 'text')
    .addColumn('findings', 'integer', (c) => c.notNull())
    .addColumn('params', 'text', (c) => c.notNull())
    .addColumn('envelope', 'text', (c) => c.notNull())
    .execute();
  // pendingTasks (agent, status, oldest first), listings newest first, and the two timeout sweeps.
  await db.schema.createIndex('tasks_agent_status_created').on('tasks').columns(['agent_id', 'status', 'created_at']).execute();
  await db.schema.createIndex('tasks_created_id').on('tasks').columns(['created_at', 'id']).execute();
  await db.schema.createIndex('tasks_status_expires').on('tasks').columns(['status', 'expires_at']).execute();
  await db.schema.createIndex('tasks_status_started').on('tasks').columns(['status', 'started_at']).execute();

  await db.schema
    .createTable('findings')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('agent_id', 'text', (c) => c.notNull())
    .addColumn('task_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('doc', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('findings_created_id').on('findings').columns(['created_at', 'id']).execute();
  await db.schema.createIndex('findings_agent_created').on('findings').columns(['agent_id', 'created_at']).execute();
  await db.schema.createIndex('findings_task_created').on('findings').columns(['task_id', 'created_at']).execute();
  await db.schema.createIndex('findings_kind_created').on('findings').columns(['kind', 'created_at']).execute();

  await db.schema
    .createTable('telemetry')
    .addColumn('agent_id', 'text', (c) => c.notNull())
    .addColumn('resolution_s', 'integer', (c) => c.notNull())
    .addColumn('ts', 'bigint', (c) => c.notNull())
    .addColumn('avg', 'text', (c) => c.notNull())
    .addColumn('max', 'text', (c) => c.notNull())
    .addColumn('n', 'integer', (c) => c.notNull())
    .addColumn('sample', 'text')
    .addPrimaryKeyConstraint('telemetry_pk', ['agent_id', 'resolution_s', 'ts'])
    .execute();
  // Downsampling and purging walk one resolution by time across all agents.
  await db.schema.createIndex('telemetry_resolution_ts').on('telemetry').columns(['resolution_s', 'ts']).execute();
  // latestTelemetry: only raw rows carry a sample, so the partial index stays small.
  await db.schema.createIndex('telemetry_raw_agent_ts').on('telemetry').columns(['agent_id', 'ts']).where(sql.ref('sample'), 'is not', null).execute();
}

async function feedTables(db: Kysely<unknown>, dialect: SqlDialectName): Promise<void> {
  const changes = db.schema.createTable('decision_changes');
  // AUTOINCREMENT (not a bare rowid alias) so SQLite never hands out a seq again after a purge.
  await (dialect === 'postgres'
    ? changes.addColumn('seq', 'bigint', (c) => c.primaryKey().generatedByDefaultAsIdentity())
    : changes.addColumn('seq', 'integer', (c) => c.primaryKey().autoIncrement()))
    .addColumn('decision_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('doc', 'text', (c) => c.notNull())
    .addUniqueConstraint('decision_changes_decision_kind_unique', ['decision_id', 'kind'])
    .execute();
  await db.schema.createIndex('decision_changes_at').on('decision_changes').column('at').execute();

  await db.schema
    .createTable('agent_enforcement')
    .addColumn('agent_id', 'text', (c) => c.notNull())
    .addColumn('decision_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('doc', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('agent_enforcement_pk', ['agent_id', 'decision_id'])
    .execute();
  await db.schema.createIndex('agent_enforcement_decision_at').on('agent_enforcement').columns(['decision_id', 'at']).execute();
  await db.schema.createIndex('agent_enforcement_agent_at').on('agent_enforcement').columns(['agent_id', 'at']).execute();
}
