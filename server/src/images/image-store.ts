import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, mkdir, readdir, rename, rm, statfs, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ProductCode } from '@rpi-deploy/contracts';
import { syncToDisk } from '../database/durable-files';
import { SharedStore } from './store/shared-store';

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

/**
 * DATA_DIR/images (or the shared folder of IMAGE_STORE_URL=file://): the stored images and their
 * block maps. With IMAGE_STORE_URL=s3:// the folder only stages uploads; the bucket keeps them.
 */
@Injectable()
export class ImageStore {
  readonly folder: string;

  constructor(readonly shared: SharedStore) {
    this.folder = shared.folder('images');
  }

  async prepare(): Promise<void> {
    await mkdir(this.folder, { recursive: true, mode: STORED_FOLDER_MODE });
    // Leftovers of uploads cut short by a crash: never part of any record.
    for (const name of await readdir(this.folder)) {
      const path = join(this.folder, name);
      if (name.startsWith(UPLOAD_PREFIX) && (await this.shared.isStale(path))) await rm(path, { force: true });
    }
    await this.shared.check();
  }

  imageKey(filename: string): string {
    return this.shared.key('images', filename);
  }

  bmapKey(filename: string): string {
    return this.shared.key('images', `${filename}.bmap`);
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
    const remote = this.shared.remote;
    if (remote) {
      // The bucket holds both before the caller records the image; the local copies were staging.
      try {
        await remote.putFile(this.bmapKey(filename), this.bmapPath(filename));
        await remote.putFile(this.imageKey(filename), this.imagePath(filename));
      } finally {
        await rm(this.imagePath(filename), { force: true });
        await rm(this.bmapPath(filename), { force: true });
      }
    }
  }

  /**
   * Runs `work` on the stored image and block map as local files: with an S3 store they are
   * fetched from the bucket into staging files (swept like a crashed upload's if the server
   * stops), which go again when `work` ends.
   */
  async withLocalCopy<T>(filename: string, work: (imagePath: string, bmapPath: string) => Promise<T>): Promise<T> {
    const remote = this.shared.remote;
    if (!remote) return work(this.imagePath(filename), this.bmapPath(filename));
    const imagePath = this.newUploadPath();
    const bmapPath = this.newUploadPath();
    try {
      await pipeline(await remote.read(this.imageKey(filename)), createWriteStream(imagePath));
      await pipeline(await remote.read(this.bmapKey(filename)), createWriteStream(bmapPath));
      return await work(imagePath, bmapPath);
    } finally {
      await rm(imagePath, { force: true });
      await rm(bmapPath, { force: true });
    }
  }

  async remove(filename: string): Promise<void> {
    await rm(this.imagePath(filename), { force: true });
    await rm(this.bmapPath(filename), { force: true });
    await this.shared.remote?.delete(this.imageKey(filename));
    await this.shared.remote?.delete(this.bmapKey(filename));
  }
}
