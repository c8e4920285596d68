import { closeSync, constants, fstatSync, openSync, read, readSync } from 'node:fs';

/** Positional reads of a card or image file; the only access capture has to the card. */
export interface CardSource {
  readonly size: number;
  read(offset: number, length: number): Buffer;
}

/** The same reads on the thread pool, for the capture stream: the event loop sends meanwhile. */
export interface AsyncCardSource {
  readonly size: number;
  readAsync(offset: number, length: number): Promise<Buffer>;
}

/**
 * Opens the card O_RDONLY: capture must not write a byte to the reference card, and a file
 * descriptor without write access makes that a property of the kernel, not of our care.
 */
export class ReadOnlyCard implements CardSource, AsyncCardSource {
  readonly size: number;
  private readonly fd: number;

  constructor(path: string, size?: number) {
    this.fd = openSync(path, constants.O_RDONLY);
    this.size = size ?? fstatSync(this.fd).size;
  }

  read(offset: number, length: number): Buffer {
    // Not zero-filled first: every byte is read into it, or the read throws.
    const buffer = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const read = readSync(this.fd, buffer, done, length - done, offset + done);
      if (read === 0) throw new Error(`the card ends at ${offset + done}, before ${offset + length}`);
      done += read;
    }
    return buffer;
  }

  readAsync(offset: number, length: number): Promise<Buffer> {
    const buffer = Buffer.allocUnsafe(length);
    return new Promise((resolve, reject) => {
      const readFrom = (done: number) =>
        read(this.fd, buffer, done, length - done, offset + done, (error, count) => {
          if (error) reject(error);
          else if (count === 0) reject(new Error(`the card ends at ${offset + done}, before ${offset + length}`));
          else if (done + count < length) readFrom(done + count);
          else resolve(buffer);
        });
      readFrom(0);
    });
  }

  close(): void {
    closeSync(this.fd);
  }
}
