import { closeSync, openSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import {
  buildPiOsImage,
  compressImage,
  writeBlockMap,
  type BlockMapFile,
  type FixtureCompression,
  type PiOsImage,
  type PiOsImageOptions,
} from '@rpi-deploy/test-kit';
import type { ServedImage } from './contract-server';
import { makeWorkDir } from './work-dir';

export const UNIT = { serial: '10000000abc12345', mac: 'd8:3a:dd:12:34:56' };
/** What the stand-in server names an RXP2 unit of venue CORO with UNIT's serial. */
export const UNIT_HOSTNAME = 'RXP2-CORO-ABC12345';

export type ImageForm = 'raw' | FixtureCompression;

export interface InstallFixture {
  dir: string;
  image: PiOsImage;
  bmap: BlockMapFile;
  forms: Record<ImageForm, { path: string; size: number }>;
  remove: () => void;
}

/** One Raspberry-Pi-OS-shaped image (96 MiB unless said) with its block map and its xz, zstd and gzip forms. */
export function buildInstallFixture(name: string, imageOptions: PiOsImageOptions = {}): InstallFixture {
  const work = makeWorkDir(name);
  const image = buildPiOsImage(work.path, { sizeMiB: 96, ...imageOptions });
  // 2 MiB ranges: several ranges per fetch group and ranges that cross 4 MiB write blocks.
  const bmap = writeBlockMap(image.path, `${image.path}.bmap`, { maxRangeBlocks: 512 });
  const forms = {
    raw: { path: image.path, size: image.size },
    xz: compressImage(image.path, 'xz'),
    zstd: compressImage(image.path, 'zstd'),
    gzip: compressImage(image.path, 'gzip'),
  };
  return { dir: work.path, image, bmap, forms, remove: work.remove };
}

export function servedImage(fixture: InstallFixture, form: ImageForm, options: { withBlockMap: boolean }): ServedImage {
  return {
    path: fixture.forms[form].path,
    name: `pi-os-1.0.0.img${form === 'raw' ? '' : `.${form}`}`,
    compression: form === 'raw' ? 'none' : form,
    size: fixture.image.size,
    sha256: fixture.image.sha256,
    version: '1.0.0',
    bmapPath: options.withBlockMap ? fixture.bmap.path : undefined,
  };
}

/**
 * A regular file standing for a card of `sizeBytes`. "used" fills it with a repeating random
 * pattern, like a card that held another system: nothing of it may survive where the image has
 * data or zeros.
 */
export function makeCard(dir: string, name: string, sizeBytes: number, content: 'used' | 'blank'): string {
  const path = join(dir, name);
  const fd = openSync(path, 'w');
  try {
    const pattern = content === 'used' ? randomBytes(1 << 20) : Buffer.alloc(0);
    if (content === 'used')
      for (let offset = 0; offset < sizeBytes; offset += pattern.length)
        writeSync(fd, pattern, 0, Math.min(pattern.length, sizeBytes - offset), offset);
    else writeSync(fd, Buffer.alloc(1), 0, 1, sizeBytes - 1);
  } finally {
    closeSync(fd);
  }
  return path;
}

export function installerArgs(server: { url: string }, card: string, ...extra: string[]): string[] {
  return [
    '--server',
    server.url,
    '--device',
    card,
    '--serial',
    UNIT.serial,
    '--mac',
    UNIT.mac,
    '--no-reboot',
    '--retry-delay',
    '0.05',
    ...extra,
  ];
}
