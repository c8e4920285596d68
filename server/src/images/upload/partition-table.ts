import type { PartitionDto, PartitionTableDto } from '@rpi-deploy/contracts';

const SECTOR = 512;

const MBR_TYPES: Record<number, string> = {
  0x01: 'FAT12',
  0x04: 'FAT16 <32M',
  0x06: 'FAT16',
  0x07: 'NTFS/exFAT',
  0x0b: 'FAT32',
  0x0c: 'FAT32 (LBA)',
  0x0e: 'FAT16 (LBA)',
  0x0f: 'Extended (LBA)',
  0x05: 'Extended',
  0x82: 'Linux swap',
  0x83: 'Linux',
  0x8e: 'Linux LVM',
  0xef: 'EFI System',
};

const GPT_TYPES: Record<string, string> = {
  'c12a7328-f81f-11d2-ba4b-00a0c93ec93b': 'EFI System',
  'ebd0a0a2-b9e5-4433-87c0-68b6b72699c7': 'Microsoft basic data',
  '0fc63daf-8483-4772-8e79-3d69d8477de4': 'Linux filesystem',
  '0657fd6d-a4ab-43c4-84e5-0933c84b4f4f': 'Linux swap',
  '4f68bce3-e8cd-4db1-96e7-fbcaf984b709': 'Linux root (x86-64)',
  'b921b045-1df0-41c3-af44-4c6f280d3fae': 'Linux root (ARM64)',
};

/** Bytes of the image's start needed to read an MBR and a GPT with 128 entries. */
export const PARTITION_TABLE_BYTES = 34 * SECTOR;

/** The partitions described by the first sectors of an image (MBR, or GPT behind a protective MBR). */
export function readPartitionTable(head: Buffer): PartitionTableDto {
  if (head.length < SECTOR || head[510] !== 0x55 || head[511] !== 0xaa) return { scheme: 'none', partitions: [] };
  const entries = [0, 1, 2, 3].map((slot) => head.subarray(446 + slot * 16, 462 + slot * 16));
  if (entries.some((entry) => entry[4] === 0xee)) return readGpt(head);

  const partitions: PartitionDto[] = [];
  entries.forEach((entry, slot) => {
    const type = entry[4];
    const sectors = entry.readUInt32LE(12);
    if (type === 0 || sectors === 0) return;
    partitions.push({
      index: slot + 1,
      type: type.toString(16).padStart(2, '0'),
      typeName: MBR_TYPES[type] ?? 'unknown',
      startBytes: entry.readUInt32LE(8) * SECTOR,
      sizeBytes: sectors * SECTOR,
      bootable: entry[0] === 0x80,
    });
  });
  return { scheme: 'mbr', partitions };
}

function readGpt(head: Buffer): PartitionTableDto {
  const header = head.subarray(SECTOR, 2 * SECTOR);
  if (header.toString('latin1', 0, 8) !== 'EFI PART') return { scheme: 'gpt', partitions: [] };
  const entriesLba = Number(header.readBigUInt64LE(72));
  const count = header.readUInt32LE(80);
  const entrySize = header.readUInt32LE(84);
  const partitions: PartitionDto[] = [];
  for (let index = 0; index < count; index += 1) {
    const offset = entriesLba * SECTOR + index * entrySize;
    if (offset + entrySize > head.length) break;
    const entry = head.subarray(offset, offset + entrySize);
    const type = guid(entry.subarray(0, 16));
    if (type === '00000000-0000-0000-0000-000000000000') continue;
    const first = Number(entry.readBigUInt64LE(32));
    const last = Number(entry.readBigUInt64LE(40));
    partitions.push({
      index: index + 1,
      type,
      typeName: GPT_TYPES[type] ?? 'unknown',
      startBytes: first * SECTOR,
      sizeBytes: (last - first + 1) * SECTOR,
      bootable: (entry.readBigUInt64LE(48) & 4n) !== 0n,
    });
  }
  return { scheme: 'gpt', partitions };
}

/** GUIDs store their first three fields little-endian. */
function guid(bytes: Buffer): string {
  const hex = (buffer: Buffer) => buffer.toString('hex');
  const reversed = (start: number, end: number) => hex(Buffer.from(bytes.subarray(start, end)).reverse());
  return `${reversed(0, 4)}-${reversed(4, 6)}-${reversed(6, 8)}-${hex(bytes.subarray(8, 10))}-${hex(bytes.subarray(10, 16))}`;
}
