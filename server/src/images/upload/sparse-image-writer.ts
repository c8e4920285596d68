import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { IMAGE_BLOCK_SIZE, type ImageChunk, type PartitionTableDto } from '@rpi-deploy/contracts';
import type { ChunkCutter } from '../chunks/chunk-cutter';
import { BlockMapBuilder, type BlockMap } from './block-map';
import { PARTITION_TABLE_BYTES, readPartitionTable } from './partition-table';

const ZERO_BLOCK = Buffer.alloc(IMAGE_BLOCK_SIZE);
/** Work in 4 MiB steps: large positional writes, bounded memory. */
const STEP = 4 << 20;

export interface ImageDescription {
  size: number;
  sha256: string;
  blockMap: BlockMap;
  partitionTable: PartitionTableDto;
  /** The mapped bytes as stored chunks, in offset order. */
  chunks: ImageChunk[];
}

/**
 * Takes the raw image as a stream and, in one pass: writes only its non-zero blocks to `file`
 * (zero blocks stay holes, so the stored image is sparse), hands them to the chunk store through
 * `chunks`, hashes the whole image, builds the block map and reads the partition table.
 * `checkSpace` runs between steps and may throw.
 */
export class SparseImageWriter extends Writable {
  private readonly whole = createHash('sha256');
  private readonly map = new BlockMapBuilder();
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private offset = 0;
  private head = Buffer.alloc(0);
  private description?: ImageDescription;

  constructor(
    private readonly file: FileHandle,
    private readonly chunks: ChunkCutter,
    private readonly checkSpace: (bytesSoFar: number) => Promise<void> = async () => undefined,
  ) {
    super({ highWaterMark: STEP });
  }

  get result(): ImageDescription {
    if (!this.description) throw new Error('the image stream has not finished');
    return this.description;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    // Only what completes a step is copied; whole steps of a large write (a capture's zeros) are
    // taken as they are: copying hundreds of MiB into new memory cost more than hashing them.
    let step: Buffer | undefined;
    let rest = chunk;
    if (this.pendingBytes > 0 || chunk.length < STEP) {
      const missing = STEP - this.pendingBytes;
      if (chunk.length < missing) {
        this.pending.push(chunk);
        this.pendingBytes += chunk.length;
        return callback();
      }
      step = Buffer.concat([...this.pending, chunk.subarray(0, missing)], STEP);
      rest = chunk.subarray(missing);
    }
    const whole = rest.length - (rest.length % STEP);
    this.pending = whole < rest.length ? [rest.subarray(whole)] : [];
    this.pendingBytes = rest.length - whole;
    const steps = [step, rest.subarray(0, whole)];
    (async () => {
      for (const data of steps) if (data && data.length > 0) await this.process(data);
    })().then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    const rest = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.process(rest)
      .then(async () => {
        await this.file.truncate(this.offset);
        const chunks = await this.chunks.finish();
        this.description = {
          size: this.offset,
          sha256: this.whole.digest('hex'),
          blockMap: this.map.build(this.offset),
          partitionTable: readPartitionTable(this.head),
          chunks,
        };
        callback();
      })
      .catch(callback);
  }

  /** Handles whole blocks (and, at the very end, one partial last block). */
  private async process(data: Buffer): Promise<void> {
    if (data.length === 0) return;
    this.whole.update(data);
    if (this.head.length < PARTITION_TABLE_BYTES) {
      this.head = Buffer.concat([this.head, data.subarray(0, PARTITION_TABLE_BYTES - this.head.length)]);
    }
    const firstBlock = this.offset / IMAGE_BLOCK_SIZE;
    const blocks = Math.ceil(data.length / IMAGE_BLOCK_SIZE);
    let runStart = -1;
    for (let index = 0; index <= blocks; index += 1) {
      const mapped = index < blocks && !isZero(data.subarray(index * IMAGE_BLOCK_SIZE, (index + 1) * IMAGE_BLOCK_SIZE));
      if (mapped && runStart < 0) runStart = index;
      if (!mapped && runStart >= 0) {
        const run = data.subarray(runStart * IMAGE_BLOCK_SIZE, index * IMAGE_BLOCK_SIZE);
        this.map.addMapped(firstBlock + runStart, run);
        const at = this.offset + runStart * IMAGE_BLOCK_SIZE;
        await Promise.all([this.file.write(run, 0, run.length, at), this.chunks.add(at, run)]);
        runStart = -1;
      }
      if (!mapped && index < blocks) this.map.endRange();
    }
    this.offset += data.length;
    await this.checkSpace(this.offset);
  }
}

function isZero(block: Buffer): boolean {
  return block.length === IMAGE_BLOCK_SIZE
    ? block.equals(ZERO_BLOCK)
    : block.equals(ZERO_BLOCK.subarray(0, block.length));
}
