/** manifest.json at the top of a backup archive: what `rpi-deploy restore` checks before it changes anything. */
export interface BackupManifest {
  format: typeof BACKUP_FORMAT;
  /** rpi-deploy version that wrote the backup (its migrations shaped the database). */
  version: string;
  database: 'sqlite' | 'postgres';
  createdAt: string;
  contents: {
    /** Path of the database copy inside the archive. */
    database: string;
    /** DATA_DIR-relative secrets included (JWT secret, generated TLS pair). */
    secrets: string[];
    /** Whether the stored images and chunk files are in the archive (--with-images). */
    images: boolean;
    imageFiles: number;
    chunkFiles: number;
  };
}

export const BACKUP_FORMAT = 'rpi-deploy-backup/1';
export const MANIFEST_NAME = 'manifest.json';
/** DATA_DIR files sit under this folder of the archive, at their DATA_DIR-relative paths. */
export const DATA_PREFIX = 'data';
export const SQLITE_DUMP = 'database/rpi-deploy.sqlite';
/** pg_dump's custom format, restored by pg_restore. */
export const POSTGRES_DUMP = 'database/postgres.dump';

/** DATA_DIR-relative secret files a backup carries when present. */
export const SECRET_FILES = ['secrets/jwt-secret', 'tls/server.crt', 'tls/server.key'];
/** DATA_DIR folders that hold the images (--with-images): image files with block maps, and chunks. */
export const IMAGE_FOLDERS = ['images', 'chunks'];
/** Half-written files in those folders (uploads, chunk frames), never referenced by a record. */
export const UNFINISHED_FILE = /^\.(upload|tmp)-/;
