import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppConfig } from '../config/app-config';

/**
 * The access-token signing secret: JWT_SECRET when set, otherwise one generated on first
 * start and kept in DATA_DIR/secrets (mode 0600) so sessions survive a restart.
 */
export function tokenSecret(config: AppConfig): string {
  if (config.jwtSecret) return config.jwtSecret;
  const folder = join(config.dataDir, 'secrets');
  const file = join(folder, 'jwt-secret');
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  try {
    // 'wx' fails if the file exists, so two starting processes never overwrite each other.
    writeFileSync(file, randomBytes(48).toString('base64url'), { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return readFileSync(file, 'utf8').trim();
}
