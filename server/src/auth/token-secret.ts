import { randomBytes } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppConfig } from '../config/app-config';
import { syncToDiskNow } from '../database/durable-files';

/**
 * The access-token signing secret: JWT_SECRET when set, otherwise one generated on first
 * start and kept in DATA_DIR/secrets (mode 0600) so sessions survive a restart.
 */
export function tokenSecret(config: AppConfig): string {
  if (config.jwtSecret) return config.jwtSecret;
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
