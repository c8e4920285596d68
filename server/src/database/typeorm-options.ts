import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';

export const SQLITE_FILE_NAME = 'rpi-deploy.sqlite';

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
    return { ...common, type: 'postgres', url: config.databaseUrl, extra: { max: 20 } };
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
      db.pragma('synchronous = NORMAL');
    },
  };
}
