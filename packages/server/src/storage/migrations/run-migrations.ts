import { Migrator, type Kysely } from 'kysely';
import { AppError, errorMessage } from '../../shared/app-error.js';
import { createMigrationProvider } from './migration-provider.js';
import type { SqlDialectName } from './schema.js';

/**
 * Brings the schema to the latest migration; a no-op when it is already there. Kysely's Migrator
 * reports failure in its result instead of throwing, so it is turned into an AppError here.
 * Returns the names of the migrations applied by this call.
 */
export async function runMigrations(db: Kysely<unknown>, dialect: SqlDialectName): Promise<string[]> {
  const migrator = new Migrator({ db, provider: createMigrationProvider(dialect) });
  let result;
  try {
    result = await migrator.migrateToLatest();
  } catch (e) {
    throw new AppError('store.migration_failed', `store: migration failed: ${errorMessage(e)}`, { status: 503, cause: e });
  }
  if (result.error !== undefined) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName;
    const where = failed === undefined ? '' : ` in ${failed}`;
    throw new AppError('store.migration_failed', `store: migration failed${where}: ${errorMessage(result.error)}`, { status: 503, cause: result.error });
  }
  return (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
