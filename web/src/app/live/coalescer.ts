/**
 * Collects items that arrive in bursts (a fleet reports many times a second) and hands them over
 * in one batch at most every `intervalMs`, so the page redraws a few times a second instead of
 * once per event. Later items for the same key replace earlier ones within a batch.
 */
export class Coalescer<T> {
  private readonly pending = new Map<string, T>();
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly keyOf: (item: T) => string,
    private readonly flush: (items: T[]) => void,
    private readonly intervalMs = 200,
  ) {}

  push(item: T): void {
    this.pending.set(this.keyOf(item), item);
    this.timer ??= setTimeout(() => this.flushNow(), this.intervalMs);
  }

  /** Delivers whatever is pending at once (e.g. before a snapshot replaces the state). */
  flushNow(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.size === 0) return;
    const items = [...this.pending.values()];
    this.pending.clear();
    this.flush(items);
  }

  /** Drops pending items and stops the timer (the page went away). */
  dispose(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending.clear();
  }
}
