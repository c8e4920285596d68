import { DataSource, type DataSourceOptions } from 'typeorm';

/** Advisory-lock key of the schema migrations (other key spaces: see cluster-job.ts). */
const MIGRATION_LOCK = [5, 0] as const;

/**
 * Opens the database and brings its schema up to date. On PostgreSQL the migrations run under a
 * session advisory lock: several instances starting at once on an empty database would otherwise
 * all create the same tables, and all but one fail. The others wait, then find nothing to run.
 * SQLite migrates as TypeORM does by itself (one process, see SqliteOwner).
 */
export async function openDataSource(options: DataSourceOptions): Promise<DataSource> {
  if (options.type !== 'postgres') return new DataSource(options).initialize();
  const dataSource = await new DataSource({ ...options, migrationsRun: false }).initialize();
  try {
    const runner = dataSource.createQueryRunner();
    try {
      await runner.query('SELECT pg_advisory_lock($1, $2)', [...MIGRATION_LOCK]);
      await dataSource.runMigrations({ transaction: options.migrationsTransactionMode ?? 'each' });
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1, $2)', [...MIGRATION_LOCK]).catch(() => undefined);
      await runner.release();
    }
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
  return dataSource;
}
