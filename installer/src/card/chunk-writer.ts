import type { FileHandle } from 'node:fs/promises';
import { AlignedMemory, DIRECT_ALIGNMENT, isDirectAligned } from './aligned-memory';
import type { Span } from './card-reader';
import { SYNC_EVERY, writeFully, type OpenedCard, type WrittenImage } from './card-writer';
import { verificationUnits, type ImageMap } from '../download/image-map';
import { MiB } from '../units';

/** Chunk buffers: one fills while the others are being written. */
const WRITE_SLOTS = 4;
/** With a trailing verification, the card is synced each time this much more has been written. */
const TRAIL_SYNC_BYTES = 16 * MiB;

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
  /** Chunks written or kept, in offset order, each with whether it is on the card (or in the head) yet. */
  private readonly placed: Array<{ end: number; done: boolean }> = [];
  /** Every chunk byte below this is on the card or in the head. */
  private settled = 0;
  /** Every chunk byte below this was settled before a datasync that has completed. */
  private synced = 0;
  private syncing = false;
  private trailing = false;
  private stopped?: Error;
  private readonly waiting: Array<{ end: number; resolve: () => void; reject: (error: Error) => void }> = [];

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
    this.advance(offset, length).done = true;
    this.settle();
  }

  /**
   * What a verification that trails the writing needs: what the card must hold, and `ready`, which
   * resolves once every chunk byte below `end` has been written and synced (the card is synced
   * every TRAIL_SYNC_BYTES from now on, and at finish()). So the card is read back while later
   * chunks are still downloading, and what is left at the end is only the tail. Undefined when
   * the card takes no O_DIRECT writes.
   */
  trail():
    | {
        expected: Pick<WrittenImage, 'head' | 'units' | 'unitDigests' | 'direct'>;
        ready: (end: number) => Promise<void>;
      }
    | undefined {
    // Buffered writes would be read back from the page cache: the card is verified after dropping it.
    if (!this.direct) return undefined;
    this.trailing = true;
    return {
      expected: { head: this.head, units: verificationUnits(this.map), unitDigests: [], direct: true },
      ready: (end) => {
        if (this.stopped) return Promise.reject(this.stopped);
        if (end <= this.synced) return Promise.resolve();
        return new Promise((resolve, reject) => this.waiting.push({ end, resolve, reject }));
      },
    };
  }

  /** A chunk's bytes at `offset`; chunks come in increasing offset order. */
  async write(offset: number, data: Buffer): Promise<void> {
    const placed = this.advance(offset, data.length);
    if (offset < this.head.length) {
      const inHead = Math.min(data.length, this.head.length - offset);
      data.copy(this.head, offset, 0, inHead);
      offset += inHead;
      data = data.subarray(inHead);
    }
    if (data.length === 0) {
      placed.done = true;
      this.settle();
      return;
    }
    await this.syncIfDue(data.length);
    const slot = this.nextSlot;
    this.nextSlot = (slot + 1) % this.buffers.length;
    await this.writes[slot]; // the buffer is free once its previous write is done
    const buffer = this.buffers[slot].subarray(0, data.length);
    data.copy(buffer);
    const write = this.writeAt(buffer, offset).then(() => {
      this.bytesWritten += buffer.length;
      placed.done = true;
      this.settle();
    });
    write.catch(() => undefined); // observed when the slot is reused or in finish()
    this.writes[slot] = write;
  }

  /** Writes out what is pending and syncs; says what verification needs. */
  async finish(): Promise<WrittenImage> {
    await Promise.all(this.writes);
    await this.card.file.datasync();
    this.synced = this.map.imageSize;
    this.wake();
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
    this.stop(new Error('the card writer was closed'));
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

  private advance(offset: number, length: number): { end: number; done: boolean } {
    if (offset < this.position) throw new Error(`chunk at ${offset} goes back before ${this.position}`);
    if (offset + length > this.map.imageSize) throw new Error(`chunk at ${offset} runs past the image end`);
    this.position = offset + length;
    const last = this.chunkSpans.at(-1);
    if (last?.end === offset) last.end += length;
    else this.chunkSpans.push({ start: offset, end: offset + length });
    const placed = { end: offset + length, done: false };
    this.placed.push(placed);
    return placed;
  }

  /** Writes finish out of order: the settled position moves over the finished ones at its front. */
  private settle(): void {
    while (this.placed[0]?.done) this.settled = (this.placed.shift() as { end: number }).end;
    if (!this.trailing || this.syncing || this.settled - this.synced < TRAIL_SYNC_BYTES) return;
    this.syncing = true;
    const upTo = this.settled;
    this.card.file.datasync().then(
      () => {
        this.syncing = false;
        this.synced = Math.max(this.synced, upTo);
        this.wake();
        this.settle();
      },
      (error: Error) => this.stop(new Error(`syncing the card failed: ${error.message}`)),
    );
  }

  private wake(): void {
    for (const waiter of this.waiting.filter((each) => each.end <= this.synced)) waiter.resolve();
    this.waiting.splice(0, this.waiting.length, ...this.waiting.filter((each) => each.end > this.synced));
  }

  /** The trailing verification waits no longer: the writer failed or was closed. */
  private stop(error: Error): void {
    this.stopped ??= error;
    for (const waiter of this.waiting.splice(0)) waiter.reject(this.stopped);
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
