import { findPiPartitions, readMbrPartitions } from './mbr';

function mbr(entries: Array<{ type: number; start: number; sectors: number }>): Buffer {
  const sector = Buffer.alloc(512);
  entries.forEach((entry, index) => {
    const at = 446 + index * 16;
    sector[at + 4] = entry.type;
    sector.writeUInt32LE(entry.start, at + 8);
    sector.writeUInt32LE(entry.sectors, at + 12);
  });
  sector.writeUInt16LE(0xaa55, 510);
  return sector;
}

describe('MBR partitions', () => {
  it('reads the primary partitions and picks boot (FAT) and root (Linux) as Raspberry Pi OS lays them out', () => {
    const partitions = readMbrPartitions(
      mbr([
        { type: 0x0c, start: 8192, sectors: 1048576 },
        { type: 0x83, start: 1056768, sectors: 4194304 },
      ]),
    );
    expect(partitions).toEqual([
      { index: 1, type: 0x0c, startBytes: 8192 * 512, sizeBytes: 1048576 * 512 },
      { index: 2, type: 0x83, startBytes: 1056768 * 512, sizeBytes: 4194304 * 512 },
    ]);
    expect(findPiPartitions(partitions)).toEqual({ boot: partitions[0], root: partitions[1] });
  });

  it('refuses what it cannot personalise, saying why', () => {
    expect(() => readMbrPartitions(Buffer.alloc(512))).toThrow(/no MBR partition table/);
    expect(() => readMbrPartitions(mbr([{ type: 0xee, start: 1, sectors: 100 }]))).toThrow(/GPT partition table/);
    expect(() => findPiPartitions(readMbrPartitions(mbr([{ type: 0x83, start: 2048, sectors: 100 }])))).toThrow(
      /needs a FAT boot partition and a Linux root partition; its partitions are 1: type 0x83/,
    );
  });
});
