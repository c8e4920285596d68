import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { verificationUnits, type ImageMap, type VerificationUnit } from './image-map';
import { runProgram } from './run-program';
import { openForWriting, type TargetDevice } from './target-device';
import { MiB } from './units';

/** The partition table's region: held back in memory and written last, so a half-written card never boots. */
export const HEAD_BYTES = MiB;
/** Writes go to the card in aligned 4 MiB blocks. */
export const WRITE_BLOCK = 4 * MiB;
/**
 * fdatasync after every 64 MiB written. Buffered writes with a bounded dirty window instead of
 * O_DIRECT: O_DIRECT needs buffers aligned to the device's logical block, which Node cannot
 * promise, and tmpfs refuses it. The sync runs while the next blocks are prepared, so the card stays
 * busy, and at most about twice this much unwritten data sits in the page cache (a 2 GB Pi does not stall).
 */
export const SYNC_EVERY = 64 * MiB;

export interface WrittenImage {
  /** The image's first HEAD_BYTES, still to be written by writeHead(). */
  head: Buffer;
  units: VerificationUnit[];
  /** SHA-256 of what was written for each unit, for the verifier. */
  unitDigests: Buffer[];
}

interface Block {
  index: number;
  slot: number;
  buffer: Buffer;
}

/**
 * Puts the image on the card. Takes image bytes at increasing offsets (the whole stream, or only
 * the mapped ranges) and writes 4 MiB blocks that hold mapped data; blocks without mapped data are
 * zeros in the image and are zeroed on the card instead of written (free for a regular file,
 * BLKZEROOUT for a block device). Two block buffers: one is written while the next one fills.
 */
export class CardWriter {
  private readonly units: VerificationUnit[];
  private readonly unitDigests: Buffer[] = [];
  private readonly head: Buffer;
  private readonly buffers = [Buffer.alloc(WRITE_BLOCK), Buffer.alloc(WRITE_BLOCK)];
  private readonly writes: Array<Promise<void> | undefined> = [undefined, undefined];
  private current?: Block;
  private nextBlock = 0;
  private position = 0;
  private rangeCursor = 0;
  private unitCursor = 0;
  private zeroSpan?: { start: number; end: number };
  private syncing?: Promise<void>;
  private unsyncedBytes = 0;
  private zeroOutWorks = true;
  /** Bytes put on the card so far: written data and zeroed ranges. */
  bytesWritten = 0;

  private constructor(
    private readonly target: TargetDevice,
    private readonly file: FileHandle,
    private readonly map: ImageMap,
    private readonly log: (line: string) => void,
  ) {
    this.units = verificationUnits(map);
    this.head = Buffer.alloc(Math.min(HEAD_BYTES, map.imageSize));
  }

  /**
   * Opens the card and makes it unbootable until the end: a block device gets zeros over its
   * partition table (synced); a regular file is emptied and re-extended to its size, the file
   * equivalent of zeroing the whole card, after which unmapped ranges already read as zeros.
   */
  static async open(target: TargetDevice, map: ImageMap, log: (line: string) => void): Promise<CardWriter> {
    const file = await openForWriting(target);
    try {
      if (target.kind === 'file') {
        await file.truncate(0);
        await file.truncate(target.sizeBytes);
      } else {
        await writeFully(file, Buffer.alloc(HEAD_BYTES), 0);
        await file.datasync();
      }
    } catch (error) {
      await file.close();
      throw error;
    }
    return new CardWriter(target, file, map, log);
  }

  /** Image bytes at `offset`; offsets must not go backwards (every byte is written once, in place). */
  async write(offset: number, data: Buffer): Promise<void> {
    if (offset < this.position) throw new Error(`write at ${offset} goes back before ${this.position}`);
    if (offset + data.length > this.map.imageSize) throw new Error(`write at ${offset} runs past the image end`);
    this.position = offset + data.length;
    while (data.length > 0) {
      const index = Math.floor(offset / WRITE_BLOCK);
      if (this.current?.index !== index) await this.startBlock(index);
      const block = this.current as Block;
      const inBlock = offset - index * WRITE_BLOCK;
      const take = Math.min(data.length, WRITE_BLOCK - inBlock);
      data.copy(block.buffer, inBlock, 0, take);
      offset += take;
      data = data.subarray(take);
    }
  }

  /** Writes out what is pending, zeroes the unmapped rest of the image and syncs. */
  async finish(): Promise<WrittenImage> {
    await this.startBlock(Math.ceil(this.map.imageSize / WRITE_BLOCK));
    await this.flushZeroSpan();
    await Promise.all(this.writes);
    await this.syncing;
    await this.file.datasync();
    return { head: this.head, units: this.units, unitDigests: this.unitDigests };
  }

  /** The held-back partition table, last of all. */
  async writeHead(): Promise<void> {
    await writeFully(this.file, this.head, 0);
    await this.file.datasync();
  }

  /** Flushes every dirty page of the card, including what other programs (debugfs, mtools) wrote to it. */
  async sync(): Promise<void> {
    await this.file.datasync();
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.writes, this.syncing]);
    await this.file.close();
  }

  /** Hands the current block to the card and prepares block `index`; blocks skipped on the way hold no data. */
  private async startBlock(index: number): Promise<void> {
    if (this.current) await this.flushBlock(this.current);
    for (let skipped = this.nextBlock; skipped < index; skipped += 1) {
      const [start, end] = this.blockBounds(skipped);
      if (this.hasMappedBytes(start, end)) throw new Error(`the mapped bytes of block ${skipped} never arrived`);
      await this.zeroLater(start, end);
    }
    this.nextBlock = index + 1;
    if (index * WRITE_BLOCK >= this.map.imageSize) {
      this.current = undefined;
      return;
    }
    const slot = this.current ? 1 - this.current.slot : 0;
    await this.writes[slot]; // the buffer is free once its previous write is done
    this.buffers[slot].fill(0);
    this.current = { index, slot, buffer: this.buffers[slot] };
  }

  private async flushBlock({ index, slot, buffer }: Block): Promise<void> {
    const [start, end] = this.blockBounds(index);
    if (!this.hasMappedBytes(start, end)) return this.zeroLater(start, end);
    this.recordUnitDigests(buffer, start, end);
    let from = start;
    if (start < this.head.length) {
      buffer.copy(this.head, 0, 0, this.head.length);
      from = this.head.length;
    }
    await this.flushZeroSpan();
    await this.syncIfDue();
    if (from >= end) return;
    const data = buffer.subarray(from - start, end - start);
    const write = writeFully(this.file, data, from).then(() => {
      this.bytesWritten += data.length;
      this.unsyncedBytes += data.length;
    });
    write.catch(() => undefined); // observed when the slot is reused or in finish()
    this.writes[slot] = write;
  }

  private async syncIfDue(): Promise<void> {
    if (this.unsyncedBytes < SYNC_EVERY) return;
    await this.syncing;
    this.unsyncedBytes = 0;
    this.syncing = this.file.datasync();
    this.syncing.catch(() => undefined); // observed by the next syncIfDue() or finish()
  }

  private blockBounds(index: number): [number, number] {
    const start = index * WRITE_BLOCK;
    return [start, Math.min(start + WRITE_BLOCK, this.map.imageSize)];
  }

  /** Whether any mapped range touches [start, end); blocks are asked about in increasing order. */
  private hasMappedBytes(start: number, end: number): boolean {
    const ranges = this.map.ranges;
    while (this.rangeCursor < ranges.length && ranges[this.rangeCursor].end <= start) this.rangeCursor += 1;
    return this.rangeCursor < ranges.length && ranges[this.rangeCursor].start < end;
  }

  private recordUnitDigests(buffer: Buffer, start: number, end: number): void {
    for (; this.unitCursor < this.units.length && this.units[this.unitCursor].end <= end; this.unitCursor += 1) {
      const unit = this.units[this.unitCursor];
      this.unitDigests.push(
        createHash('sha256')
          .update(buffer.subarray(unit.start - start, unit.end - start))
          .digest(),
      );
    }
  }

  /** Unmapped bytes must read as zeros. A regular file already does (see open()); a device is zeroed in spans. */
  private async zeroLater(start: number, end: number): Promise<void> {
    if (this.target.kind === 'file') return;
    if (this.zeroSpan?.end === start) {
      this.zeroSpan.end = end;
      return;
    }
    await this.flushZeroSpan();
    this.zeroSpan = { start, end };
  }

  /**
   * BLKZEROOUT through `blkdiscard --zeroout` (--force: we hold the device open exclusively):
   * the kernel uses the device's own write-zeroes command where it has one and writes zero pages
   * itself otherwise, without the page cache. Where that fails, plain writes of zeros.
   */
  private async flushZeroSpan(): Promise<void> {
    const span = this.zeroSpan;
    if (!span) return;
    this.zeroSpan = undefined;
    const length = span.end - span.start;
    if (this.zeroOutWorks) {
      const args = [
        '--force',
        '--zeroout',
        '--offset',
        String(span.start),
        '--length',
        String(length),
        this.target.path,
      ];
      try {
        await runProgram('blkdiscard', args);
        this.bytesWritten += length;
        return;
      } catch (error) {
        this.zeroOutWorks = false;
        this.log(`zeroing with blkdiscard failed (${(error as Error).message}); writing zeros instead`);
      }
    }
    const zeros = Buffer.alloc(WRITE_BLOCK);
    for (let offset = span.start; offset < span.end; offset += WRITE_BLOCK) {
      const piece = zeros.subarray(0, Math.min(WRITE_BLOCK, span.end - offset));
      await writeFully(this.file, piece, offset);
      this.bytesWritten += piece.length;
      this.unsyncedBytes += piece.length;
      await this.syncIfDue();
    }
  }
}

async function writeFully(file: FileHandle, data: Buffer, position: number): Promise<void> {
  for (let done = 0; done < data.length;) {
    const { bytesWritten } = await file.write(data, done, data.length - done, position + done);
    done += bytesWritten;
  }
}
