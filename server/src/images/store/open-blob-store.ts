import { join } from 'node:path';
import type { StoreLocation } from '../../config/image-store-url';
import type { BlobStore } from './blob-store';
import { FileBlobStore } from './file-blob-store';
import { S3BlobStore } from './s3-blob-store';

/** The store IMAGE_STORE_URL names; the local default keeps today's DATA_DIR layout. */
export function openBlobStore(location: StoreLocation, dataDir: string): BlobStore {
  switch (location.kind) {
    case 'local':
      return new FileBlobStore(dataDir);
    case 'file':
      return new FileBlobStore(location.root);
    case 's3':
      return new S3BlobStore(location);
  }
}

/** The key of a stored image, block map or chunk: the same relative path on every kind of store. */
export const storeKeys = {
  image: (filename: string) => join('images', filename),
  bmap: (filename: string) => join('images', `${filename}.bmap`),
  chunk: (sha256: string) => join('chunks', sha256.slice(0, 2), `${sha256}.zst`),
};
