import type { FileHandle } from 'node:fs/promises';
import { AlignedMemory, DIRECT_ALIGNMENT, isDirectAligned } from './aligned-memory';
import type { Span } from './card-reader';
import { SYNC_EVERY, writeFully, type OpenedCard, type WrittenImage } from './card-writer';
import { verificationUnits, type ImageMap } from '../download/image-map';

/** Chunk buffers: one fills while the others are being written. */
const WRITE_SLOTS = 4;

/**
 * Puts verified chunks on the card in place, each exactly over its own bytes: the chunks the card
 * already holds (a delta install) are left as they are, and nothing is written between chunks
 * (unmapped blocks come to read as zeros by the card's ZeroingPlan; after a delta install they are
 * read back and zeroed where needed). Chunks go out with O_DIRECT from page-aligned buffers,
 * several at once; the partition table region is held back in memory and written last.
 */
export class ChunkWriter {
  private readonly buffers: Buffer[];
  private readonly writes: Array<Promise<void> | undefined>;
  private readonly chunkSpans: Span[] = [];
  private nextSlot = 0;
  private position = 0;
  private direct?: FileHandle;
  private unsyncedBytes = 0;
  /** Bytes put on the card so far (the held-back head not included until writeHead). */
  bytesWritten = 0;

  constructor(
    private readonly card: OpenedCard,
    private readonly map: ImageMap,
    /** The image's first MiB, held back; present chunks there are copied in by the caller. */
    readonly head: Buffer,
    maxChunkBytes: number,
    private readonly log: (line: string) => void,
  ) {
    this.direct = card.direct;
    const slotBytes = Math.ceil(maxChunkBytes / DIRECT_ALIGNMENT) * DIRECT_ALIGNMENT;
    this.buffers = new AlignedMemory(WRITE_SLOTS, Math.max(slotBytes, DIRECT_ALIGNMENT)).buffers;
    this.writes = this.buffers.map(() => undefined);
  }

  /** Records a chunk that is on the card already: neither written nor to be zeroed. */
  keep(offset: number, length: number): void {
    this.advance(offset, length);
  }

  /** A chunk's bytes at `offset`; chunks come in increasing offset order. */
  async write(offset: number, data: Buffer): Promise<void> {
    this.advance(offset, data.length);
    if (offset < this.head.length) {
      const inHead = Math.min(data.length, this.head.length - offset);
      data.copy(this.head, offset, 0, inHead);
      offset += inHead;
      data = data.subarray(inHead);
    }
    if (data.length === 0) return;
    await this.syncIfDue(data.length);
    const slot = this.nextSlot;
    this.nextSlot = (slot + 1) % this.buffers.length;
    await this.writes[slot]; // the buffer is free once its previous write is done
    const buffer = this.buffers[slot].subarray(0, data.length);
    data.copy(buffer);
    const write = this.writeAt(buffer, offset).then(() => {
      this.bytesWritten += buffer.length;
    });
    write.catch(() => undefined); // observed when the slot is reused or in finish()
    this.writes[slot] = write;
  }

  /** Writes out what is pending and syncs; says what verification needs. */
  async finish(): Promise<WrittenImage> {
    await Promise.all(this.writes);
    await this.card.file.datasync();
    return {
      head: this.head,
      units: verificationUnits(this.map),
      unitDigests: [], // every range has the block map's checksum (see mapCoversImage)
      zeroing: this.card.zeroing,
      unwritten: this.unmapped(),
      direct: this.direct !== undefined,
    };
  }

  async writeHead(): Promise<void> {
    await writeFully(this.card.file, this.head, 0);
    await this.card.file.datasync();
    this.bytesWritten += this.head.length;
  }

  async sync(): Promise<void> {
    await this.card.file.datasync();
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.writes);
    await Promise.allSettled([this.direct?.close()]);
    await this.card.file.close();
  }

  /** Buffered writes (a card that refuses O_DIRECT) are synced every SYNC_EVERY bytes: the page cache stays small. */
  private async syncIfDue(coming: number): Promise<void> {
    if (this.direct) return;
    this.unsyncedBytes += coming;
    if (this.unsyncedBytes < SYNC_EVERY) return;
    this.unsyncedBytes = 0;
    await Promise.all(this.writes);
    await this.card.file.datasync();
  }

  private advance(offset: number, length: number): void {
    if (offset < this.position) throw new Error(`chunk at ${offset} goes back before ${this.position}`);
    if (offset + length > this.map.imageSize) throw new Error(`chunk at ${offset} runs past the image end`);
    this.position = offset + length;
    const last = this.chunkSpans.at(-1);
    if (last?.end === offset) last.end += length;
    else this.chunkSpans.push({ start: offset, end: offset + length });
  }

  /** What lies between the chunks past the first MiB: unmapped, so zeros. */
  private unmapped(): Span[] {
    const spans: Span[] = [];
    let at = this.head.length;
    for (const chunk of [...this.chunkSpans, { start: this.map.imageSize, end: this.map.imageSize }]) {
      if (chunk.start > at) spans.push({ start: at, end: chunk.start });
      at = Math.max(at, chunk.end);
    }
    return spans;
  }

  /** O_DIRECT for the aligned part, buffered for the rest (an unaligned image end) or where O_DIRECT is refused. */
  private async writeAt(data: Buffer, position: number): Promise<void> {
    const aligned =
      this.direct && position % DIRECT_ALIGNMENT === 0 ? data.length - (data.length % DIRECT_ALIGNMENT) : 0;
    if (aligned > 0 && isDirectAligned(position, aligned)) {
      try {
        await writeFully(this.direct as FileHandle, data.subarray(0, aligned), position);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EINVAL') throw error;
        const direct = this.direct;
        this.direct = undefined;
        this.log('the card refused an O_DIRECT write: buffered writes from here on');
        await direct?.close().catch(() => undefined);
        return this.writeAt(data, position);
      }
    }
    if (aligned < data.length) await writeFully(this.card.file, data.subarray(aligned), position + aligned);
  }
}
