import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readdir, rename, rm, statfs, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProductCode } from '@rpi-deploy/contracts';
import { AppConfig } from '../config/app-config';
import { syncToDisk } from '../database/durable-files';

/** Names the server gives stored images; nothing a user typed ever reaches the filesystem. */
export const STORED_IMAGE_NAME = /^(kxp2|rxp2)-[0-9a-f]{12}\.img$/;
const UPLOAD_PREFIX = '.upload-';

/** DATA_DIR/images: the stored images (mode 0600) and their block maps. */
@Injectable()
export class ImageStore {
  readonly folder: string;

  constructor(config: AppConfig) {
    this.folder = join(config.dataDir, 'images');
  }

  async prepare(): Promise<void> {
    await mkdir(this.folder, { recursive: true, mode: 0o700 });
    // Leftovers of uploads cut short by a crash: never part of any record.
    for (const name of await readdir(this.folder)) {
      if (name.startsWith(UPLOAD_PREFIX)) await rm(join(this.folder, name), { force: true });
    }
  }

  newUploadPath(): string {
    return join(this.folder, `${UPLOAD_PREFIX}${randomBytes(8).toString('hex')}`);
  }

  newImageName(product: ProductCode): string {
    return `${product.toLowerCase()}-${randomBytes(6).toString('hex')}.img`;
  }

  imagePath(filename: string): string {
    return join(this.folder, filename);
  }

  bmapPath(filename: string): string {
    return join(this.folder, `${filename}.bmap`);
  }

  async freeBytes(): Promise<number> {
    const stats = await statfs(this.folder);
    return stats.bavail * stats.bsize;
  }

  /**
   * Moves a finished upload into place with its block map, both readable by the service only,
   * and on the disk before the image is recorded: a power cut must not leave a record of an
   * image whose bytes were still in the page cache.
   */
  async keep(uploadPath: string, filename: string, bmapXml: string): Promise<void> {
    await writeFile(this.bmapPath(filename), bmapXml, { mode: 0o600 });
    await chmod(uploadPath, 0o600);
    await syncToDisk(this.bmapPath(filename));
    await syncToDisk(uploadPath);
    await rename(uploadPath, this.imagePath(filename));
    await syncToDisk(this.folder);
  }

  async remove(filename: string): Promise<void> {
    await rm(this.imagePath(filename), { force: true });
    await rm(this.bmapPath(filename), { force: true });
  }
}
