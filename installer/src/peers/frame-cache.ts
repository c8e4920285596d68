/**
 * The most recently verified chunk frames, up to a byte budget: in a fleet installing together
 * the neighbours ask for what a unit fetched moments ago, so these are served from memory; older
 * ones are read back from the card. Map order is insertion order: the first key is the oldest.
 */
export class FrameCache {
  private readonly frames = new Map<string, Buffer>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  set(sha256: string, frame: Buffer): void {
    if (frame.length > this.maxBytes || this.frames.has(sha256)) return;
    this.frames.set(sha256, frame);
    this.bytes += frame.length;
    for (const [oldest, old] of this.frames) {
      if (this.bytes <= this.maxBytes) break;
      this.frames.delete(oldest);
      this.bytes -= old.length;
    }
  }

  get(sha256: string): Buffer | undefined {
    return this.frames.get(sha256);
  }
}
