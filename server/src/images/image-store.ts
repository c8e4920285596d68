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

/**
 * Stored images and block maps are 0640 in 0750 folders: the owner writes, the folder's group
 * reads. Behind nginx (IMAGES_ACCEL_REDIRECT) that group is nginx's (install-server.sh makes the
 * folder setgid to it), so nginx's worker can send the bytes; nobody else can.
 */
export const STORED_FILE_MODE = 0o640;
export const STORED_FOLDER_MODE = 0o750;

/** DATA_DIR/images: the stored images and their block maps. */
@Injectable()
export class ImageStore {
  readonly folder: string;

  constructor(config: AppConfig) {
    this.folder = join(config.dataDir, 'images');
  }

  async prepare(): Promise<void> {
    await mkdir(this.folder, { recursive: true, mode: STORED_FOLDER_MODE });
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
   * Moves a finished upload into place with its block map, both readable by the service and the
   * folder's group only, and on the disk before the image is recorded: a power cut must not leave a record of an
   * image whose bytes were still in the page cache.
   */
  async keep(uploadPath: string, filename: string, bmapXml: string): Promise<void> {
    // Explicit modes: writeFile's mode is only used for a new file and is cut by the umask.
    await writeFile(this.bmapPath(filename), bmapXml, { mode: STORED_FILE_MODE });
    await chmod(this.bmapPath(filename), STORED_FILE_MODE);
    await chmod(uploadPath, STORED_FILE_MODE);
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
