import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { create as createTar } from 'tar';
import { formatBytes } from '@rpi-deploy/contracts';
import { SQLITE_FILE_NAME } from '../../database/sqlite-file';
import { SERVER_VERSION } from '../../version';
import { CliError } from '../api-client';
import {
  BACKUP_FORMAT,
  DATA_PREFIX,
  IMAGE_FOLDERS,
  MANIFEST_NAME,
  POSTGRES_DUMP,
  SECRET_FILES,
  SQLITE_DUMP,
  UNFINISHED_FILE,
  type BackupManifest,
} from './backup-manifest';
import { PostgresTools } from './postgres-tools';
import { copySqlite } from './sqlite-copy';

export interface BackupOptions {
  dataDir: string;
  databaseUrl?: string;
  out: string;
  withImages: boolean;
  pgBin?: string;
  /** One line per step, for the operator. */
  progress(line: string): void;
}

/**
 * Writes one tar archive with manifest.json, a consistent copy of the database taken while the
 * server runs, the secrets from DATA_DIR and, with --with-images, the image and chunk files.
 * The archive is assembled under a temporary name beside `out` and renamed into place when whole.
 */
export async function createBackup(options: BackupOptions): Promise<BackupManifest> {
  const dataDir = resolve(options.dataDir);
  const out = resolve(options.out);
  if (existsSync(out)) throw new CliError(`${out} exists already: give another --out or delete it first`);
  if (!existsSync(dirname(out))) throw new CliError(`The folder of --out (${dirname(out)}) does not exist`);
  if (!options.databaseUrl && !existsSync(join(dataDir, SQLITE_FILE_NAME))) {
    throw new CliError(
      `No database at ${join(dataDir, SQLITE_FILE_NAME)}: set DATA_DIR (or --data-dir) to the server's data ` +
        'folder, or DATABASE_URL when it runs on PostgreSQL (--env-file /etc/rpi-deploy/rpi-deploy.env reads both)',
    );
  }

  const stage = await mkdtemp(join(dirname(out), `.${basename(out)}.`));
  try {
    await mkdir(join(stage, 'database'));
    let databasePath: string;
    if (options.databaseUrl) {
      const postgres = new PostgresTools(options.databaseUrl, options.pgBin);
      options.progress(`Database: pg_dump of ${postgres.redactedUrl()}`);
      databasePath = POSTGRES_DUMP;
      await postgres.dump(join(stage, databasePath));
    } else {
      options.progress(`Database: online copy of ${join(dataDir, SQLITE_FILE_NAME)}`);
      databasePath = SQLITE_DUMP;
      await copySqlite(join(dataDir, SQLITE_FILE_NAME), join(stage, databasePath));
    }
    options.progress(`  ${formatBytes((await stat(join(stage, databasePath))).size)}`);

    // The DATA_DIR parts are linked into the stage and packed through the links (tar's follow),
    // so the archive is written in one pass without copying images first.
    const secrets = SECRET_FILES.filter((file) => existsSync(join(dataDir, file)));
    for (const file of secrets) await linkIntoStage(stage, dataDir, file);
    options.progress(`Secrets: ${secrets.length > 0 ? secrets.join(', ') : 'none in DATA_DIR'}`);

    const counts = { images: 0, chunks: 0 };
    if (options.withImages) {
      for (const folder of IMAGE_FOLDERS) {
        if (!existsSync(join(dataDir, folder))) continue;
        await linkIntoStage(stage, dataDir, folder);
        const { files, bytes } = await finishedFiles(join(dataDir, folder));
        counts[folder as keyof typeof counts] = files;
        options.progress(`${folder === 'images' ? 'Image' : 'Chunk'} files: ${files} (${formatBytes(bytes)})`);
      }
    } else {
      options.progress('Images: not included (add --with-images to include the image and chunk files)');
    }

    const manifest: BackupManifest = {
      format: BACKUP_FORMAT,
      version: SERVER_VERSION,
      database: options.databaseUrl ? 'postgres' : 'sqlite',
      createdAt: new Date().toISOString(),
      contents: {
        database: databasePath,
        secrets,
        images: options.withImages,
        imageFiles: counts.images,
        chunkFiles: counts.chunks,
      },
    };
    await writeFile(join(stage, MANIFEST_NAME), `${JSON.stringify(manifest, null, 2)}\n`);
    await mkdir(join(stage, DATA_PREFIX), { recursive: true });

    options.progress(`Writing ${out}`);
    const partial = join(stage, 'archive.tar');
    await createTar(
      {
        file: partial,
        cwd: stage,
        follow: true,
        portable: true,
        filter: (path) => !UNFINISHED_FILE.test(basename(path)),
      },
      [MANIFEST_NAME, 'database', DATA_PREFIX],
    );
    await rename(partial, out);
    options.progress(`Backup written: ${out} (${formatBytes((await stat(out)).size)})`);
    return manifest;
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}

async function linkIntoStage(stage: string, dataDir: string, relative: string): Promise<void> {
  const link = join(stage, DATA_PREFIX, relative);
  await mkdir(dirname(link), { recursive: true });
  await symlink(join(dataDir, relative), link);
}

async function finishedFiles(folder: string): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  for (const entry of await readdir(folder, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || UNFINISHED_FILE.test(entry.name)) continue;
    files++;
    bytes += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return { files, bytes };
}
