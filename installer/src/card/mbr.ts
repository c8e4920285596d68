import { InstallError } from '../install-error';

export interface Partition {
  /** 1-based, as Linux names them (mmcblk0p1 = 1). */
  index: number;
  /** MBR partition type byte, e.g. 0x0c (FAT32 LBA) or 0x83 (Linux). */
  type: number;
  startBytes: number;
  sizeBytes: number;
}

const SECTOR = 512;
const FAT_TYPES = new Set([0x01, 0x04, 0x06, 0x0b, 0x0c, 0x0e, 0xef]);
const LINUX_TYPE = 0x83;
const GPT_PROTECTIVE_TYPE = 0xee;

/**
 * The four primary partitions of the MBR in the first sector of the image. Raspberry Pi OS uses
 * MBR; a GPT image (protective MBR) is refused with a clear message rather than half-handled.
 */
export function readMbrPartitions(firstSector: Buffer): Partition[] {
  if (firstSector.length < SECTOR || firstSector.readUInt16LE(510) !== 0xaa55) {
    throw new InstallError('the image has no MBR partition table (no 0x55AA signature in its first sector)');
  }
  const partitions: Partition[] = [];
  for (let index = 1; index <= 4; index += 1) {
    const entry = 446 + (index - 1) * 16;
    const type = firstSector[entry + 4];
    const sectors = firstSector.readUInt32LE(entry + 12);
    if (type === 0 || sectors === 0) continue;
    if (type === GPT_PROTECTIVE_TYPE) {
      throw new InstallError(
        'the image uses a GPT partition table; only MBR images (as Raspberry Pi OS ships) are supported',
      );
    }
    partitions.push({
      index,
      type,
      startBytes: firstSector.readUInt32LE(entry + 8) * SECTOR,
      sizeBytes: sectors * SECTOR,
    });
  }
  return partitions;
}

/** The boot (first FAT) and root (first Linux) partitions that personalisation edits. */
export function findPiPartitions(partitions: Partition[]): { boot: Partition; root: Partition } {
  const boot = partitions.find((partition) => FAT_TYPES.has(partition.type));
  const root = partitions.find((partition) => partition.type === LINUX_TYPE);
  if (!boot || !root) {
    const found =
      partitions.map((p) => `${p.index}: type 0x${p.type.toString(16).padStart(2, '0')}`).join(', ') || 'none';
    throw new InstallError(
      `the image needs a FAT boot partition and a Linux root partition; its partitions are ${found}`,
    );
  }
  return { boot, root };
}
