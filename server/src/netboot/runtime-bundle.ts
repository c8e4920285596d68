import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';

export const RUNTIME_BUNDLE_NAME = 'runtime.tar.zst';

export interface RuntimeBundleFile {
  path: string;
  size: number;
  sha256: string;
}

/**
 * The second stage of the netboot initramfs (Node.js, the installer, the disk tools) that
 * `npm run build:initramfs` writes into NETBOOT_BUILD_DIR. Its SHA-256 is the strong ETag and
 * what the first stage checks; it is computed from the file itself, once per build (a rebuilt
 * bundle has a new size, mtime or inode), so it can never disagree with the bytes served.
 */
export class RuntimeBundle {
  private cached?: { key: string; sha256: Promise<string> };

  constructor(private readonly buildDir: string) {}

  /** The built bundle, or undefined when it has not been built. */
  async current(): Promise<RuntimeBundleFile | undefined> {
    const path = join(this.buildDir, RUNTIME_BUNDLE_NAME);
    const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (!info?.isFile()) return undefined;
    const key = `${info.ino}:${info.size}:${info.mtimeMs}`;
    if (this.cached?.key !== key) {
      const sha256 = sha256Of(path);
      // A failed hash (file replaced mid-read) is computed again on the next request.
      sha256.catch(() => (this.cached = undefined));
      this.cached = { key, sha256 };
    }
    return { path, size: info.size, sha256: await this.cached.sha256 };
  }
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}
