/**
 * `/api/config` requests take turns, each after one pass of the event loop, at most `together`
 * at a time. When a whole batch powers up at once, a burst of configs would otherwise run back
 * to back (their database work is synchronous on SQLite) while the status reports of units
 * already installing wait behind all of them; taking turns lets whatever arrived meanwhile be
 * handled between two configs. On SQLite one at a time (assignments run one at a time anyway);
 * on PostgreSQL a config is some twenty round trips to the database, mostly waiting, so a few
 * run together, as they would on several instances, with the database's locks keeping them apart.
 */
export class ConfigTurns {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly together = 1) {}

  async take<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.together || this.waiting.length > 0) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else this.running += 1;
    try {
      await new Promise<void>((resolve) => setImmediate(resolve));
      return await work();
    } finally {
      // The turn passes straight to the next in line, so `running` counts it still.
      const next = this.waiting.shift();
      if (next) next();
      else this.running -= 1;
    }
  }
}
