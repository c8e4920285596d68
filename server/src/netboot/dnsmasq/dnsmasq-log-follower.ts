import { Logger } from '@nestjs/common';
import { open, stat, type FileHandle } from 'node:fs/promises';

/**
 * Follows dnsmasq's log file like `tail -F`: reads what is appended, starts over when the file
 * is rotated or truncated, waits quietly while it does not exist. Polls, because inotify
 * misses nothing but needs the folder to exist first and is not available on every mount.
 */
export class DnsmasqLogFollower {
  private readonly logger = new Logger('DnsmasqLog');
  private handle: FileHandle | null = null;
  private inode = 0;
  private offset = 0;
  private partial = '';
  private timer: NodeJS.Timeout | null = null;
  private reading: Promise<void> = Promise.resolve();

  constructor(
    private readonly path: string,
    private readonly onLine: (line: string) => void,
    private readonly intervalMs = 250,
  ) {}

  /** Starts at the current end of the file: history before the server started is not replayed. */
  async start(): Promise<void> {
    const existing = await stat(this.path).catch(() => null);
    if (existing) {
      this.inode = existing.ino;
      this.offset = existing.size;
    }
    this.timer = setInterval(() => {
      this.reading = this.reading.then(() => this.poll()).catch((error: Error) => this.logger.warn(error.message));
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.reading;
    await this.handle?.close();
    this.handle = null;
  }

  /** Reads everything appended since the last poll (also used by tests to not wait for the timer). */
  async poll(): Promise<void> {
    const current = await stat(this.path).catch(() => null);
    if (!current) return;
    if (current.ino !== this.inode || current.size < this.offset) {
      await this.handle?.close();
      this.handle = null;
      this.inode = current.ino;
      this.offset = 0;
      this.partial = '';
    }
    if (current.size === this.offset) return;
    this.handle ??= await open(this.path, 'r');
    const buffer = Buffer.alloc(Math.min(current.size - this.offset, 1 << 20));
    const { bytesRead } = await this.handle.read(buffer, 0, buffer.length, this.offset);
    this.offset += bytesRead;
    const lines = (this.partial + buffer.subarray(0, bytesRead).toString('utf8')).split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) if (line) this.onLine(line);
  }
}
