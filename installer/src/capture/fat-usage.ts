import type { ByteRange } from './byte-ranges';
import type { CardSource } from './read-only-card';

/**
 * The bytes a FAT12/16/32 file system uses, relative to the card: its reserved sectors, the
 * FATs, the FAT12/16 root directory, and every data cluster whose FAT entry is not zero (free).
 * Parsed here rather than with a tool: the initramfs has no FAT tool that lists allocation, and
 * the FAT is a flat array of entries.
 */
export function fatUsedRanges(card: CardSource, partitionStart: number, partitionSize: number): ByteRange[] {
  const boot = card.read(partitionStart, 512);
  if (boot.readUInt16LE(510) !== 0xaa55) throw new Error('the FAT partition has no boot sector signature');
  const bytesPerSector = boot.readUInt16LE(11);
  const sectorsPerCluster = boot[13];
  const reservedSectors = boot.readUInt16LE(14);
  const fatCount = boot[16];
  const rootEntries = boot.readUInt16LE(17);
  const totalSectors = boot.readUInt16LE(19) || boot.readUInt32LE(32);
  const fatSectors = boot.readUInt16LE(22) || boot.readUInt32LE(36);
  if (![512, 1024, 2048, 4096].includes(bytesPerSector) || sectorsPerCluster === 0 || fatCount === 0) {
    throw new Error('the FAT boot sector is not valid (sector size, cluster size or FAT count)');
  }
  const rootDirSectors = Math.ceil((rootEntries * 32) / bytesPerSector);
  const firstDataSector = reservedSectors + fatCount * fatSectors + rootDirSectors;
  const clusterCount = Math.floor((totalSectors - firstDataSector) / sectorsPerCluster);
  const entryBits = clusterCount < 4085 ? 12 : clusterCount < 65525 ? 16 : 32;
  const fat = card.read(partitionStart + reservedSectors * bytesPerSector, fatSectors * bytesPerSector);

  const clusterBytes = sectorsPerCluster * bytesPerSector;
  const dataStart = partitionStart + firstDataSector * bytesPerSector;
  const partitionEnd = partitionStart + Math.min(partitionSize, totalSectors * bytesPerSector);
  const ranges: ByteRange[] = [{ start: partitionStart, end: dataStart }];
  let runStart = -1;
  const closeRun = (cluster: number) => {
    ranges.push({
      start: dataStart + (runStart - 2) * clusterBytes,
      end: Math.min(partitionEnd, dataStart + (cluster - 2) * clusterBytes),
    });
    runStart = -1;
  };
  for (let cluster = 2; cluster < clusterCount + 2; cluster += 1) {
    const used = fatEntry(fat, cluster, entryBits) !== 0;
    if (used && runStart < 0) runStart = cluster;
    else if (!used && runStart >= 0) closeRun(cluster);
  }
  if (runStart >= 0) closeRun(clusterCount + 2);
  return ranges;
}

function fatEntry(fat: Buffer, cluster: number, bits: number): number {
  if (bits === 32) return fat.readUInt32LE(cluster * 4) & 0x0fffffff;
  if (bits === 16) return fat.readUInt16LE(cluster * 2);
  const packed = fat.readUInt16LE(Math.floor((cluster * 3) / 2));
  return cluster & 1 ? packed >> 4 : packed & 0x0fff;
}
