import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { defaults as pgDefaults, types as pgTypes } from 'pg';
import type { DataSourceOptions } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';
import { SQLITE_FILE_NAME } from './sqlite-file';

export { SQLITE_FILE_NAME };

/**
 * SQLite in DATA_DIR by default (WAL, foreign keys on), PostgreSQL when DATABASE_URL is set.
 * The schema comes only from migrations, which run at start; `synchronize` stays off.
 */
export function typeOrmOptions(config: AppConfig): DataSourceOptions {
  const common = {
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsRun: true,
    migrationsTransactionMode: 'each',
    synchronize: false,
  } as const;

  if (config.databaseUrl) {
    useUtcTimestamps();
    return {
      ...common,
      type: 'postgres',
      url: config.databaseUrl,
      // 30 connections: up to 16 configs at once (DeploymentLifecycleService), a status batch, the
      // live adapter's listener and the other requests; two instances stay within PostgreSQL's default 100.
      extra: { max: 30, options: '-c TimeZone=UTC' },
    };
  }

  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  return {
    ...common,
    type: 'better-sqlite3',
    database: join(config.dataDir, SQLITE_FILE_NAME),
    prepareDatabase: (db: { pragma(source: string): unknown }) => {
      db.pragma('journal_mode = WAL');
      db.pragma('foreign_keys = ON');
      // Concurrent writers queue for up to 5 s instead of failing with SQLITE_BUSY.
      db.pragma('busy_timeout = 5000');
      // FULL: every commit fsyncs the WAL, so a report acknowledged after its commit survives a
      // power cut (NORMAL only syncs at checkpoints: safe from a killed process, not from power
      // loss). Status reports are group-committed (StatusReports), so it costs one fsync a batch.
      db.pragma('synchronous = FULL');
    },
  };
}

const PG_TIMESTAMP_WITHOUT_TIME_ZONE = 1114;

/**
 * TypeORM maps Date properties to `timestamp` (without time zone) on PostgreSQL. Keep those
 * values in UTC whatever the server's local time zone is: written as UTC, read back as UTC.
 */
function useUtcTimestamps(): void {
  pgDefaults.parseInputDatesAsUTC = true;
  pgTypes.setTypeParser(PG_TIMESTAMP_WITHOUT_TIME_ZONE, (text) => new Date(`${text.replace(' ', 'T')}Z`));
}
