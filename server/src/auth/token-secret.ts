import { randomBytes } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { syncToDiskNow } from '../database/durable-files';

/**
 * The access-token signing secret: JWT_SECRET when set, otherwise one generated on first
 * start and kept so sessions survive a restart: on PostgreSQL in the database, where every
 * instance finds the same one (a token signed by one is valid on the others); on SQLite in
 * DATA_DIR/secrets (mode 0600).
 */
export async function tokenSecret(config: AppConfig, dataSource: DataSource): Promise<string> {
  if (config.jwtSecret) return config.jwtSecret;
  if (dataSource.options.type === 'postgres') return sharedSecret(dataSource);
  return fileSecret(config);
}

async function sharedSecret(dataSource: DataSource): Promise<string> {
  // Of instances starting together on an empty database, the first insert wins; all read it.
  await dataSource.query(
    `INSERT INTO server_secrets (name, value) VALUES ('jwt-secret', $1) ON CONFLICT (name) DO NOTHING`,
    [randomBytes(48).toString('base64url')],
  );
  const [{ value }] = await dataSource.query<Array<{ value: string }>>(
    `SELECT value FROM server_secrets WHERE name = 'jwt-secret'`,
  );
  return value;
}

function fileSecret(config: AppConfig): string {
  const folder = join(config.dataDir, 'secrets');
  const file = join(folder, 'jwt-secret');
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  const kept = existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
  if (kept) return kept;
  // An empty file is what a power cut left of a secret written before it was synced: replace it.
  if (kept === '') rmSync(file);
  // Written and synced under a draft name first, so a power cut leaves no secret or a whole one.
  const draft = `${file}.${process.pid}.new`;
  writeFileSync(draft, randomBytes(48).toString('base64url'), { mode: 0o600 });
  syncToDiskNow(draft);
  try {
    // link fails if the name exists, so two starting processes never overwrite each other.
    linkSync(draft, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    rmSync(draft);
  }
  syncToDiskNow(folder);
  return readFileSync(file, 'utf8').trim();
}
