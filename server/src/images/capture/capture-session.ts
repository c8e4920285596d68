import { BadRequestException } from '@nestjs/common';
import { once } from 'node:events';
import type { FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { ProductCode } from '@rpi-deploy/contracts';
import type { ChunkCutter } from '../chunks/chunk-cutter';
import type { ImageUploadFieldsBody } from '../dto/image.dto';
import type { ReceivedImage } from '../upload/receive-image-upload';
import { SparseImageWriter } from '../upload/sparse-image-writer';
import type { UploadProgressAnnouncer } from '../upload/upload-progress';

const ZEROS = Buffer.alloc(4 << 20);

/**
 * One capture in progress: the image arrives in order, over one or more requests (a dropped
 * connection resumes where the bytes the server holds end), through the upload's single-pass
 * writer (sparse file, block map, chunks, SHA-256), which lives as long as the session.
 */
export class CaptureSession {
  receivedBytes = 0;
  lastActivity = Date.now();
  /** A stream is being received: a second one at once would interleave. */
  streaming = false;
  private readonly writer: SparseImageWriter;

  constructor(
    readonly id: string,
    public tokenHash: string,
    readonly serial: string,
    readonly fields: { product: ProductCode; version: string },
    readonly sizeBytes: number,
    readonly uploadPath: string,
    private readonly file: FileHandle,
    readonly cutter: ChunkCutter,
    readonly announcer: UploadProgressAnnouncer,
    checkSpace: (bytesSoFar: number) => Promise<void>,
  ) {
    this.writer = new SparseImageWriter(file, cutter, checkSpace);
    // A failed step surfaces in the request that wrote it; without a listener it would end the process.
    this.writer.on('error', () => undefined);
  }

  /**
   * Takes the bytes of `body` as the image from `receivedBytes` on. Bytes handed to the writer
   * count as held even when the connection drops right after: the stream is in order, so a
   * resume simply continues after them.
   */
  async receive(body: Readable): Promise<void> {
    this.streaming = true;
    try {
      for await (const piece of body) await this.take(piece as Buffer);
    } finally {
      this.streaming = false;
      this.lastActivity = Date.now();
    }
  }

  /**
   * The image is zeros from the held bytes up to `offset`: what the unit's card does not use
   * never crosses the network, yet goes through the writer (hash, map) like any byte.
   */
  async zerosUntil(offset: number): Promise<void> {
    if (offset > this.sizeBytes) {
      throw new BadRequestException(
        `Offset ${offset} is beyond the ${this.sizeBytes} bytes this capture was opened for`,
      );
    }
    while (this.receivedBytes < offset)
      await this.take(ZEROS.subarray(0, Math.min(ZEROS.length, offset - this.receivedBytes)));
  }

  private async take(chunk: Buffer): Promise<void> {
    if (this.receivedBytes + chunk.length > this.sizeBytes) {
      throw new BadRequestException(
        `The capture is longer than the ${this.sizeBytes} bytes its session was opened for`,
      );
    }
    if (this.writer.errored) throw this.writer.errored;
    this.receivedBytes += chunk.length;
    this.lastActivity = Date.now();
    this.announcer.report({
      receivedBytes: this.receivedBytes,
      imageBytes: this.receivedBytes,
      fields: this.uploadFields,
    });
    if (!this.writer.write(chunk)) await once(this.writer, 'drain');
  }

  /** Ends the image (zeros to its size): the writer's description of it, as an upload's. */
  async finish(): Promise<ReceivedImage> {
    await this.zerosUntil(this.sizeBytes);
    this.writer.end();
    await finished(this.writer);
    await this.file.close();
    return {
      uploadPath: this.uploadPath,
      uploadSize: this.sizeBytes,
      compression: 'none',
      description: this.writer.result,
      fields: this.uploadFields,
    };
  }

  /** Stops the writer and closes the file; the caller deletes it. */
  async discard(): Promise<void> {
    this.writer.destroy();
    await this.file.close().catch(() => undefined);
  }

  private get uploadFields(): ImageUploadFieldsBody {
    return { ...this.fields, description: `Captured from unit ${this.serial}` };
  }
}
