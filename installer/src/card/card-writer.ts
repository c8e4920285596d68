import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { AlignedMemory, DIRECT_ALIGNMENT } from './aligned-memory';
import { verificationUnits, type ImageMap, type VerificationUnit } from '../download/image-map';
import type { Span } from './card-reader';
import { openForDirectWriting, openForWriting, type TargetDevice } from './target-device';
import { MiB } from '../units';
import { prepareUnmapped, type ZeroingPlan } from './unmapped-zeros';

/** The partition table's region: held back in memory and written last, so a half-written card never boots. */
export const HEAD_BYTES = MiB;
/** Writes go to the card in aligned 4 MiB blocks. */
export const WRITE_BLOCK = 4 * MiB;
/** Block buffers: one fills while the others are being written, so the card always has the next write queued. */
const WRITE_BUFFERS = 4;
/**
 * Where the card refuses O_DIRECT (some file systems under a file standing for a card): buffered
 * writes with fdatasync after every 64 MiB. The sync runs while the next blocks are prepared, so
 * the card stays busy, and at most about twice this much unwritten data sits in the page cache
 * (a 2 GB Pi does not stall).
 */
export const SYNC_EVERY = 64 * MiB;

export interface WrittenImage {
  /** The image's first HEAD_BYTES, still to be written by writeHead(). */
  head: Buffer;
  units: VerificationUnit[];
  /**
   * SHA-256 of what was written for each unit whose range has no checksum of its own (no block
   * map: the whole image); undefined where the block map's range checksum is the reference.
   */
  unitDigests: Array<Buffer | undefined>;
  /** How unmapped blocks come to read as zeros (see ZeroingPlan). */
  zeroing: ZeroingPlan;
  /** The 4 MiB blocks without mapped data, which were not written: merged spans past the first MiB. */
  unwritten: Span[];
  /** Whether the blocks went to the card with O_DIRECT (then reading it back with O_DIRECT needs no cache drop). */
  direct: boolean;
}

interface Block {
  index: number;
  slot: number;
  buffer: Buffer;
  /** Bytes of the buffer set so far: data, or zeros over the gaps between data. */
  filled: number;
}

/**
 * Puts the image on the card. Takes image bytes at increasing offsets (the whole stream, or only
 * the mapped ranges) and writes the 4 MiB blocks that hold mapped data; blocks without mapped
 * data are not written at all (see ZeroingPlan for how they read as zeros). Several block
 * buffers: earlier blocks are being written while the next one fills.
 * Blocks go to the card with O_DIRECT from page-aligned buffers: no page cache to flood on a
 * 2 GB Pi, no dirty data for the kernel to write back in bursts, several writes in flight, and one
 * sync at the end for the card's own cache. Bytes that cannot be aligned (an image that does not
 * end on a 4 KiB boundary) and cards that refuse O_DIRECT are written buffered.
 */
export class CardWriter {
  private readonly units: VerificationUnit[];
  private readonly unitDigests: Array<Buffer | undefined> = [];
  private readonly unwritten: Span[] = [];
  private readonly head: Buffer;
  private readonly buffers = new AlignedMemory(WRITE_BUFFERS, WRITE_BLOCK).buffers;
  private readonly writes: Array<Promise<void> | undefined> = this.buffers.map(() => undefined);
  private current?: Block;
  private nextBlock = 0;
  private position = 0;
  private rangeCursor = 0;
  private unitCursor = 0;
  private syncing?: Promise<void>;
  private unsyncedBytes = 0;
  /** Bytes put on the card so far. */
  bytesWritten = 0;

  private constructor(
    private readonly file: FileHandle,
    private direct: FileHandle | undefined,
    private readonly map: ImageMap,
    private readonly zeroing: ZeroingPlan,
    private readonly log: (line: string) => void,
  ) {
    this.units = verificationUnits(map);
    this.head = Buffer.alloc(Math.min(HEAD_BYTES, map.imageSize));
  }

  /** Opens and prepares the card (see openCard). */
  static async open(
    target: TargetDevice,
    map: ImageMap,
    log: (line: string) => void,
    options: { directIo?: boolean } = {},
  ): Promise<CardWriter> {
    const { file, direct, zeroing } = await openCard(target, map.imageSize, log, options);
    return new CardWriter(file, direct, map, zeroing, log);
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
      block.buffer.fill(0, block.filled, inBlock); // reused buffers: only gaps need zeros
      data.copy(block.buffer, inBlock, 0, take);
      block.filled = inBlock + take;
      offset += take;
      data = data.subarray(take);
    }
  }

  /** Writes out what is pending and syncs. */
  async finish(): Promise<WrittenImage> {
    await this.startBlock(Math.ceil(this.map.imageSize / WRITE_BLOCK));
    await Promise.all(this.writes);
    await this.syncing;
    await this.file.datasync();
    return {
      head: this.head,
      units: this.units,
      unitDigests: this.unitDigests,
      zeroing: this.zeroing,
      unwritten: this.unwritten,
      direct: this.direct !== undefined,
    };
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
    await Promise.allSettled([this.direct?.close()]);
    await this.file.close();
  }

  /** Hands the current block to the card and prepares block `index`; blocks skipped on the way hold no data. */
  private async startBlock(index: number): Promise<void> {
    if (this.current) await this.flushBlock(this.current);
    for (let skipped = this.nextBlock; skipped < index; skipped += 1) {
      const [start, end] = this.blockBounds(skipped);
      if (this.hasMappedBytes(start, end)) throw new Error(`the mapped bytes of block ${skipped} never arrived`);
      this.leaveUnwritten(start, end);
    }
    this.nextBlock = index + 1;
    if (index * WRITE_BLOCK >= this.map.imageSize) {
      this.current = undefined;
      return;
    }
    const slot = this.current ? (this.current.slot + 1) % WRITE_BUFFERS : 0;
    await this.writes[slot]; // the buffer is free once its previous write is done
    this.current = { index, slot, buffer: this.buffers[slot], filled: 0 };
  }

  private async flushBlock({ index, slot, buffer, filled }: Block): Promise<void> {
    const [start, end] = this.blockBounds(index);
    if (!this.hasMappedBytes(start, end)) return this.leaveUnwritten(start, end);
    buffer.fill(0, filled, end - start);
    this.recordUnitDigests(buffer, start, end);
    let from = start;
    if (start < this.head.length) {
      buffer.copy(this.head, 0, 0, this.head.length);
      from = this.head.length;
    }
    await this.syncIfDue();
    if (from >= end) return;
    const data = buffer.subarray(from - start, end - start);
    const write = this.writeBlock(data, from).then(() => {
      this.bytesWritten += data.length;
      this.unsyncedBytes += data.length;
    });
    write.catch(() => undefined); // observed when the slot is reused or in finish()
    this.writes[slot] = write;
  }

  /** O_DIRECT for the aligned part (all of it but an image's unaligned end), buffered for the rest. */
  private async writeBlock(data: Buffer, position: number): Promise<void> {
    const aligned = this.direct ? data.length - (data.length % DIRECT_ALIGNMENT) : 0;
    if (aligned > 0) {
      try {
        await writeFully(this.direct as FileHandle, data.subarray(0, aligned), position);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EINVAL') throw error;
        await this.stopDirectWrites();
        return this.writeBlock(data, position);
      }
    }
    if (aligned < data.length) await writeFully(this.file, data.subarray(aligned), position + aligned);
  }

  /** The card opened with O_DIRECT but refused such a write (EINVAL): everything goes buffered from here. */
  private async stopDirectWrites(): Promise<void> {
    const direct = this.direct;
    if (!direct) return;
    this.direct = undefined;
    this.log('the card refused an O_DIRECT write: buffered writes from here on');
    await direct.close().catch(() => undefined);
  }

  private async syncIfDue(): Promise<void> {
    if (this.direct || this.unsyncedBytes < SYNC_EVERY) return;
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

  /** Digests only where the verifier has no range checksum to compare with: hashing is the install's main CPU cost. */
  private recordUnitDigests(buffer: Buffer, start: number, end: number): void {
    for (; this.unitCursor < this.units.length && this.units[this.unitCursor].end <= end; this.unitCursor += 1) {
      const unit = this.units[this.unitCursor];
      if (this.map.ranges[unit.rangeIndex].sha256 && this.map.fromBlockMap) {
        this.unitDigests.push(undefined);
        continue;
      }
      this.unitDigests.push(
        createHash('sha256')
          .update(buffer.subarray(unit.start - start, unit.end - start))
          .digest(),
      );
    }
  }

  /** A block without mapped data: recorded (past the held-back first MiB) for the zero check, not written. */
  private leaveUnwritten(start: number, end: number): void {
    start = Math.max(start, this.head.length);
    if (start >= end) return;
    const last = this.unwritten.at(-1);
    if (last?.end === start) last.end = end;
    else this.unwritten.push({ start, end });
  }
}

/** The card, opened for writing and prepared (see CardWriter.open, and `keepCard`). */
export interface OpenedCard {
  file: FileHandle;
  /** The O_DIRECT handle, where the card takes O_DIRECT. */
  direct?: FileHandle;
  zeroing: ZeroingPlan;
}

/**
 * Opens the card and makes it unbootable until the end: a block device gets zeros over its
 * partition table (synced), then its unmapped blocks are prepared (discarded or zeroed in one
 * command, see prepareUnmapped); a regular file is emptied and re-extended to its size, the file
 * equivalent of zeroing the whole card, after which unmapped ranges read as zeros for free.
 * `keepCard` (a delta install, which leaves in place what the card already holds of the image)
 * zeroes only the partition table region, of a file as of a device, and has the unmapped blocks
 * checked after writing. `directIo: false` writes buffered even where O_DIRECT would work.
 */
export async function openCard(
  target: TargetDevice,
  imageSize: number,
  log: (line: string) => void,
  options: { directIo?: boolean; keepCard?: boolean } = {},
): Promise<OpenedCard> {
  const file = await openForWriting(target);
  try {
    let zeroing: ZeroingPlan = 'check';
    if (target.kind === 'file' && !options.keepCard) {
      await file.truncate(0);
      await file.truncate(target.sizeBytes);
    } else {
      await writeFully(file, Buffer.alloc(HEAD_BYTES), 0);
      await file.datasync();
    }
    if (!options.keepCard) zeroing = await prepareUnmapped(target, HEAD_BYTES, imageSize, log);
    const direct = options.directIo === false ? undefined : await openForDirectWriting(target);
    if (!direct) log(`${target.path} does not take O_DIRECT: buffered writes, synced every ${SYNC_EVERY / MiB} MiB`);
    return { file, direct, zeroing };
  } catch (error) {
    await file.close();
    throw error;
  }
}

export async function writeFully(file: FileHandle, data: Buffer, position: number): Promise<void> {
  for (let done = 0; done < data.length;) {
    const { bytesWritten } = await file.write(data, done, data.length - done, position + done);
    done += bytesWritten;
  }
}
