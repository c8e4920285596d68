import { setBitRuns, type ByteRange } from './byte-ranges';
import type { CardSource } from './read-only-card';

const EXT4_MAGIC = 0xef53;
const INCOMPAT_META_BG = 0x10;
const INCOMPAT_64BIT = 0x80;
const RO_COMPAT_SPARSE_SUPER = 0x1;
const RO_COMPAT_GDT_CSUM = 0x10;
const RO_COMPAT_METADATA_CSUM = 0x400;
const COMPAT_SPARSE_SUPER2 = 0x200;
const BG_BLOCK_UNINIT = 0x2;

interface Group {
  blockBitmap: number;
  inodeBitmap: number;
  inodeTable: number;
  blockUninit: boolean;
}

/**
 * The bytes an ext2/3/4 file system uses, relative to the card, from its block allocation
 * bitmaps. Parsed in TypeScript rather than with dumpe2fs: the installer's initramfs carries no
 * e2fsprogs, and the bitmaps are the whole answer once uninitialised groups are handled.
 *
 * A group flagged BLOCK_UNINIT (uninit_bg or metadata_csum) has no bitmap on disk; what it
 * holds is computed as e2fsprogs does: its superblock and descriptor backup, plus any group's
 * bitmaps and inode table placed inside it (flex_bg packs those of many groups together).
 */
export function ext4UsedRanges(card: CardSource, partitionStart: number): ByteRange[] {
  const sb = card.read(partitionStart + 1024, 1024);
  if (sb.readUInt16LE(56) !== EXT4_MAGIC) throw new Error('the Linux partition holds no ext2/3/4 file system');
  const incompat = sb.readUInt32LE(96);
  const roCompat = sb.readUInt32LE(100);
  const compat = sb.readUInt32LE(92);
  const is64 = (incompat & INCOMPAT_64BIT) !== 0;
  const blockSize = 1024 << sb.readUInt32LE(24);
  const blocksCount = sb.readUInt32LE(4) + (is64 ? sb.readUInt32LE(0x150) * 2 ** 32 : 0);
  const firstDataBlock = sb.readUInt32LE(20);
  const blocksPerGroup = sb.readUInt32LE(32);
  const inodesPerGroup = sb.readUInt32LE(40);
  const inodeSize = sb.readUInt16LE(76) === 0 ? 128 : sb.readUInt16LE(88);
  const descSize = is64 ? sb.readUInt16LE(0xfe) : 32;
  const reservedGdt = sb.readUInt16LE(0xce);
  const groupCount = Math.ceil((blocksCount - firstDataBlock) / blocksPerGroup);
  const uninitMeaningful = (roCompat & (RO_COMPAT_GDT_CSUM | RO_COMPAT_METADATA_CSUM)) !== 0;
  const inodeTableBlocks = Math.ceil((inodesPerGroup * inodeSize) / blockSize);
  const gdtBlocks = Math.ceil((groupCount * descSize) / blockSize);

  const gdt = card.read(partitionStart + (firstDataBlock + 1) * blockSize, gdtBlocks * blockSize);
  const groups: Group[] = [];
  for (let g = 0; g < groupCount; g += 1) {
    const d = g * descSize;
    const wide = (lo: number, hi: number) => gdt.readUInt32LE(d + lo) + (is64 ? gdt.readUInt32LE(d + hi) * 2 ** 32 : 0);
    groups.push({
      blockBitmap: wide(0x0, 0x20),
      inodeBitmap: wide(0x4, 0x24),
      inodeTable: wide(0x8, 0x28),
      blockUninit: uninitMeaningful && (gdt.readUInt16LE(d + 0x12) & BG_BLOCK_UNINIT) !== 0,
    });
  }
  const hasBackup = (g: number): boolean => {
    if (g === 0) return true;
    if (compat & COMPAT_SPARSE_SUPER2) return g === sb.readUInt32LE(0x24c) || g === sb.readUInt32LE(0x250);
    if (!(roCompat & RO_COMPAT_SPARSE_SUPER)) return true;
    return g === 1 || [3, 5, 7].some((base) => isPowerOf(g, base));
  };

  const toBytes = (first: number, count: number): ByteRange => ({
    start: partitionStart + first * blockSize,
    end: partitionStart + (first + count) * blockSize,
  });
  // The boot block and the primary superblock, whatever the block size.
  const ranges: ByteRange[] = [{ start: partitionStart, end: partitionStart + 2048 }];
  for (let g = 0; g < groupCount; g += 1) {
    const groupFirst = firstDataBlock + g * blocksPerGroup;
    const groupBlocks = Math.min(blocksPerGroup, blocksCount - groupFirst);
    if (!groups[g].blockUninit) {
      const bitmap = card.read(partitionStart + groups[g].blockBitmap * blockSize, blockSize);
      for (const run of setBitRuns(bitmap, groupBlocks)) ranges.push(toBytes(groupFirst + run.first, run.count));
      continue;
    }
    if (incompat & INCOMPAT_META_BG) {
      // meta_bg scatters descriptor blocks by another rule; the whole group is a safe answer.
      ranges.push(toBytes(groupFirst, groupBlocks));
      continue;
    }
    if (hasBackup(g)) ranges.push(toBytes(groupFirst, 1 + gdtBlocks + reservedGdt));
    const inGroup = (block: number) => block >= groupFirst && block < groupFirst + groupBlocks;
    for (const other of groups) {
      if (inGroup(other.blockBitmap)) ranges.push(toBytes(other.blockBitmap, 1));
      if (inGroup(other.inodeBitmap)) ranges.push(toBytes(other.inodeBitmap, 1));
      if (inGroup(other.inodeTable)) ranges.push(toBytes(other.inodeTable, inodeTableBlocks));
    }
  }
  return ranges;
}

function isPowerOf(value: number, base: number): boolean {
  let n = value;
  while (n > 1 && n % base === 0) n /= base;
  return n === 1;
}
