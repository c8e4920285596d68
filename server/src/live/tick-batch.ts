/** How often the dashboards get news of things that change many times a second. */
export const LIVE_TICK_MS = 250;

/**
 * The one throttle between what changes on the server and what the dashboards draw: it keeps
 * the latest item per key and hands them over together once per tick, so a fleet reporting many
 * times a second costs one socket event (and one redraw) per tick, whatever its size.
 */
export class TickBatch<T> {
  private readonly pending = new Map<string, T>();
  private readonly timer = setInterval(() => this.flush(), LIVE_TICK_MS);

  constructor(
    private readonly keyOf: (item: T) => string,
    private readonly send: (items: T[]) => void,
  ) {
    this.timer.unref();
  }

  /** Sent with the next tick, unless a newer item of the same key replaces it first. */
  add(item: T): void {
    this.pending.set(this.keyOf(item), item);
  }

  /** Sent at once in a batch of its own; an older item of the same key still waiting is dropped. */
  sendNow(item: T): void {
    this.pending.delete(this.keyOf(item));
    this.send([item]);
  }

  /** Stops the ticks and sends what is still waiting. */
  close(): void {
    clearInterval(this.timer);
    this.flush();
  }

  private flush(): void {
    if (this.pending.size === 0) return;
    const items = [...this.pending.values()];
    this.pending.clear();
    this.send(items);
  }
}
