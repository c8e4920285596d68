import { createReadStream } from 'node:fs';
import { copyFile, mkdir, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { syncToDisk } from '../../database/durable-files';
import { STORED_FILE_MODE, STORED_FOLDER_MODE } from '../image-store';
import { StoreMissing, StoreUnavailable, type BlobStore, type ByteRange } from './blob-store';

/**
 * Keys as files under one folder: DATA_DIR's own (the default) or a shared mount (file:// on NFS,
 * CephFS). Writes go to a temporary name, are fsynced, then renamed, so every instance sees either
 * nothing or the whole object.
 */
export class FileBlobStore implements BlobStore {
  constructor(readonly root: string) {}

  localPath(key: string): string {
    return join(this.root, key);
  }

  async putFile(key: string, path: string): Promise<void> {
    const target = this.localPath(key);
    const temporary = `${target}.part-${randomBytes(6).toString('hex')}`;
    try {
      await mkdir(dirname(target), { recursive: true, mode: STORED_FOLDER_MODE });
      // rename where it can (same file system, no copy); a shared mount needs the copy.
      await rename(path, temporary).catch(() => copyFile(path, temporary));
      await syncToDisk(temporary);
      await rename(temporary, target);
      await syncToDisk(dirname(target));
    } catch (error) {
      await rm(temporary, { force: true });
      throw new StoreUnavailable(this.root, error);
    }
  }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    if ((await this.size(key)) === undefined) throw new StoreMissing(key);
    return createReadStream(this.localPath(key), range);
  }

  async size(key: string): Promise<number | undefined> {
    try {
      return (await stat(this.localPath(key))).size;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new StoreUnavailable(this.root, error);
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.localPath(key), { force: true });
  }

  async presignedUrl(): Promise<undefined> {
    return undefined;
  }

  async check(): Promise<void> {
    const probe = join(this.root, `.probe-${randomBytes(6).toString('hex')}`);
    try {
      await mkdir(this.root, { recursive: true, mode: STORED_FOLDER_MODE });
      await writeFile(probe, '', { mode: STORED_FILE_MODE });
      await unlink(probe);
    } catch (error) {
      throw new StoreUnavailable(this.root, error);
    }
  }
}
