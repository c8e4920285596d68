import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { AppConfig } from '../../config/app-config';
import type { BlobStore } from './blob-store';
import { S3BlobStore } from './s3-blob-store';

/** Leftovers (half-written uploads, unrecorded chunks) younger than this may belong to another instance's upload. */
const SHARED_LEFTOVER_AGE_MS = 24 * 3600_000;

/**
 * Where IMAGE_STORE_URL puts the stored bytes. The images/ and chunks/ folders keep one layout
 * everywhere: under DATA_DIR (the default), under a shared mount (file://), or, with S3, under
 * DATA_DIR as a staging area and cache while the bucket holds the truth under the same keys.
 */
@Injectable()
export class SharedStore implements OnModuleDestroy {
  private readonly logger = new Logger('ImageStore');
  /** Folder holding images/ and chunks/ on this host. */
  readonly root: string;
  /** The bucket when IMAGE_STORE_URL is s3://, else undefined (the folders are the store). */
  readonly remote?: BlobStore & { destroy?(): void };
  /** Other instances use the same folders or bucket: sweeps spare what may be theirs. */
  readonly shared: boolean;
  readonly publicDownloads: boolean;

  constructor(config: AppConfig) {
    const location = config.images.store;
    this.root = location.kind === 'file' ? location.root : config.dataDir;
    this.remote = location.kind === 's3' ? new S3BlobStore(location) : undefined;
    this.shared = location.kind !== 'local';
    this.publicDownloads = location.kind === 's3' && config.images.storePublic;
  }

  folder(name: 'images' | 'chunks'): string {
    return join(this.root, name);
  }

  /** The store's key of a file in one of the folders: its path below the root. */
  key(folder: 'images' | 'chunks', relative: string): string {
    return `${folder}/${relative}`;
  }

  /** Whether a leftover may be swept: always on a private folder, only when old on a shared one. */
  async isStale(path: string): Promise<boolean> {
    if (!this.shared) return true;
    const stats = await stat(path).catch(() => undefined);
    return stats !== undefined && Date.now() - stats.mtimeMs > SHARED_LEFTOVER_AGE_MS;
  }

  /** At start: a store that cannot be reached is reported, not fatal (uploads answer 503 until it is back). */
  async check(): Promise<void> {
    if (!this.remote) return;
    await this.remote.check().catch((error: Error) => this.logger.warn(error.message));
  }

  onModuleDestroy(): void {
    this.remote?.destroy?.();
  }
}
