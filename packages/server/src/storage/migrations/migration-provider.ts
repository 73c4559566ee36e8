import type { Migration, MigrationProvider } from 'kysely';
import { initialMigration } from './0001-initial.js';
import { fleetAndAuthMigration } from './0002-fleet-and-auth.js';
import type { SqlDialectName } from './schema.js';

/**
 * Migrations come from code, not a folder scan, so they survive bundling and both adapters run the
 * very same list. Names sort in apply order; never rename or edit one that has shipped — add a new one.
 */
export function createMigrationProvider(dialect: SqlDialectName): MigrationProvider {
  const migrations: Record<string, Migration> = {
    '0001_initial': initialMigration(dialect),
    '0002_fleet_and_auth': fleetAndAuthMigration(dialect),
  };
  return { getMigrations: () => Promise.resolve(migrations) };
}
