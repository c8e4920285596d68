import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { extract as extractTar, list as listTar } from 'tar';
import { SQLITE_FILE_NAME } from '../../database/sqlite-file';
import { CliError } from '../api-client';
import {
  BACKUP_FORMAT,
  DATA_PREFIX,
  IMAGE_FOLDERS,
  MANIFEST_NAME,
  POSTGRES_DUMP,
  SECRET_FILES,
  SQLITE_DUMP,
  type BackupManifest,
} from './backup-manifest';
import { PostgresTools } from './postgres-tools';
import { processesUsing } from './running-server';

export interface RestoreOptions {
  file: string;
  dataDir: string;
  databaseUrl?: string;
  /** Restore into a data folder that holds files already (its database and secrets are replaced). */
  force: boolean;
  pgBin?: string;
  progress(line: string): void;
}

/**
 * Restores a backup into DATA_DIR (and, for PostgreSQL, into the empty DATABASE_URL database).
 * Everything that could refuse is checked before anything is changed.
 */
export async function restoreBackup(options: RestoreOptions): Promise<BackupManifest> {
  const file = resolve(options.file);
  const dataDir = resolve(options.dataDir);
  const manifest = await readManifest(file);
  options.progress(
    `Backup of ${manifest.createdAt} (rpi-deploy ${manifest.version}, ${manifest.database}` +
      `${manifest.contents.images ? `, ${manifest.contents.imageFiles} image and ${manifest.contents.chunkFiles} chunk files` : ', no images'})`,
  );
  if (manifest.database === 'sqlite' && options.databaseUrl) {
    throw new CliError(
      'This backup holds a SQLite database but DATABASE_URL is set: unset it to restore into DATA_DIR ' +
        '(moving between SQLite and PostgreSQL is not supported)',
    );
  }
  if (manifest.database === 'postgres' && !options.databaseUrl) {
    throw new CliError(
      'This backup holds a PostgreSQL database: set DATABASE_URL (or --database-url) to an empty database ' +
        'to restore into (createdb NAME makes one)',
    );
  }

  const users = await processesUsing(dataDir);
  if (users.length > 0) {
    throw new CliError(
      `A running process (pid ${users.join(', ')}) has files in ${dataDir} open: stop the server first ` +
        '(systemctl stop rpi-deploy), then restore',
    );
  }
  const present = existsSync(dataDir) ? await readdir(dataDir) : [];
  if (present.length > 0 && !options.force) {
    throw new CliError(
      `${dataDir} is not empty (${present.slice(0, 5).join(', ')}${present.length > 5 ? ', ...' : ''}): restore ` +
        'into a new, empty data folder (DATA_DIR or --data-dir), or give --force to replace its database, secrets ' +
        'and, when the backup has them, images',
    );
  }
  const postgres = options.databaseUrl ? new PostgresTools(options.databaseUrl, options.pgBin) : undefined;
  if (postgres) {
    // A server that runs on a database has migrated it, so this refuses that case too.
    if ((await postgres.relationCount()) > 0) {
      throw new CliError(
        `The database ${postgres.redactedUrl()} is not empty: create an empty one (createdb NAME) and point ` +
          'DATABASE_URL at it',
      );
    }
  }

  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const stage = await mkdtemp(join(dataDir, '.restore-'));
  try {
    options.progress(`Unpacking ${file}`);
    await extractTar({ file, cwd: stage, strict: true });
    if (postgres) {
      options.progress(`Database: pg_restore into ${postgres.redactedUrl()}`);
      await postgres.restore(join(stage, manifest.contents.database));
    } else {
      options.progress(`Database: ${join(dataDir, SQLITE_FILE_NAME)}`);
      // A WAL left by the replaced database would be replayed over the restored one.
      for (const suffix of ['', '-wal', '-shm'])
        await rm(join(dataDir, `${SQLITE_FILE_NAME}${suffix}`), { force: true });
      await rename(join(stage, manifest.contents.database), join(dataDir, SQLITE_FILE_NAME));
    }
    for (const secret of manifest.contents.secrets) {
      await mkdir(dirname(join(dataDir, secret)), { recursive: true, mode: 0o700 });
      await rename(join(stage, DATA_PREFIX, secret), join(dataDir, secret));
    }
    options.progress(`Secrets: ${manifest.contents.secrets.join(', ') || 'none in the backup'}`);
    if (manifest.contents.images) {
      for (const folder of IMAGE_FOLDERS) {
        await rm(join(dataDir, folder), { recursive: true, force: true });
        if (existsSync(join(stage, DATA_PREFIX, folder))) {
          await rename(join(stage, DATA_PREFIX, folder), join(dataDir, folder));
        }
      }
      options.progress(`Images: ${manifest.contents.imageFiles} image and ${manifest.contents.chunkFiles} chunk files`);
    } else {
      options.progress('Images: not in this backup; upload them again or copy DATA_DIR/images and DATA_DIR/chunks');
    }
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
  options.progress(`Restored into ${dataDir}: start the server on it; users log in with their passwords as before`);
  return manifest;
}

async function readManifest(file: string): Promise<BackupManifest> {
  if (!existsSync(file)) throw new CliError(`No such file: ${file}`);
  const chunks: Buffer[] = [];
  try {
    await listTar({
      file,
      strict: true,
      filter: (path) => path === MANIFEST_NAME,
      onReadEntry: (entry) => entry.on('data', (chunk: Buffer) => chunks.push(chunk)),
    });
  } catch (error) {
    throw new CliError(`${file} is not a readable backup archive (${(error as Error).message})`);
  }
  let manifest: BackupManifest | undefined;
  try {
    manifest = JSON.parse(Buffer.concat(chunks).toString('utf8')) as BackupManifest;
  } catch {
    manifest = undefined;
  }
  if (manifest?.format !== BACKUP_FORMAT) {
    throw new CliError(`${file} is not an rpi-deploy backup (no ${MANIFEST_NAME} of format ${BACKUP_FORMAT})`);
  }
  // Paths the restore moves files from and to come only from these known names.
  const expectedDump = manifest.database === 'postgres' ? POSTGRES_DUMP : SQLITE_DUMP;
  if (
    manifest.contents?.database !== expectedDump ||
    !manifest.contents.secrets.every((s) => SECRET_FILES.includes(s))
  ) {
    throw new CliError(`${file} has a damaged ${MANIFEST_NAME}: its contents do not match this version's layout`);
  }
  return manifest;
}
