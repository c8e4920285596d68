/**
 * `/api/config` requests take turns, each after one pass of the event loop. When a whole batch
 * powers up at once, a burst of configs would otherwise run back to back (their database work
 * is synchronous on SQLite) while the status reports of units already installing wait behind
 * all of them; taking turns lets whatever arrived meanwhile be handled between two configs.
 * A config costs a few milliseconds, so waiting its turn is harmless to a unit, and on SQLite
 * assignments run one at a time anyway.
 */
export class ConfigTurns {
  private tail: Promise<unknown> = Promise.resolve();

  take<T>(work: () => Promise<T>): Promise<T> {
    const turn = this.tail.then(() => new Promise<void>((resolve) => setImmediate(resolve))).then(work);
    this.tail = turn.catch(() => undefined);
    return turn;
  }
}
