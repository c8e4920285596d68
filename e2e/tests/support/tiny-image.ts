import { randomBytes } from 'node:crypto';

const MiB = 1 << 20;
const SECTOR = 512;

/**
 * A disk image (4 MiB unless asked) with an MBR and one FAT32 (LBA) partition from 1 MiB to the
 * end, with some random data in it: small enough to upload in a moment, shaped like what the
 * server expects.
 */
export function tinyDiskImage(sizeMiB = 4): Buffer {
  const image = Buffer.alloc(sizeMiB * MiB);
  const entry = 446;
  image[entry] = 0x80; // bootable
  image[entry + 4] = 0x0c; // FAT32 (LBA)
  image.writeUInt32LE(MiB / SECTOR, entry + 8); // first sector
  image.writeUInt32LE(((sizeMiB - 1) * MiB) / SECTOR, entry + 12); // sectors
  image.writeUInt32LE(randomBytes(4).readUInt32LE(0), 440); // disk identifier
  image[510] = 0x55;
  image[511] = 0xaa;
  randomBytes(256 * 1024).copy(image, MiB);
  return image;
}
