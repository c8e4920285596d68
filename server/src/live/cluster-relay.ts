import type { Server } from 'socket.io';
import type { LiveEvent } from './live-events';

/** The server-side event that carries one instance's live events to the others. */
const RELAYED = 'rpi-deploy:live-events';
/** How long a relayed batch waits for an earlier one of its instance that has not arrived. */
const GAP_MS = 1000;

interface Relayed {
  /** The sending instance (random per process) and its batch number, for the order. */
  from: string;
  seq: number;
  events: LiveEvent[];
}

/**
 * Live events across instances on PostgreSQL, ONE adapter message per event-loop turn. Emitting
 * each event through the socket.io PostgreSQL adapter costs a NOTIFY query apiece, about one per
 * status report under load (a tick's `deployment.updated` views, then their `deployments.updated`
 * batch): that was the largest share of a report's database round trips. Here the events of a
 * turn are emitted to this instance's dashboards at once and sent to the other instances
 * together (serverSideEmit), which emit them to theirs, so the dashboards get the same events.
 *
 * Order: the adapter fetches a large message (over 8000 bytes, a tick of many views) from a table
 * before delivering it, so a small message sent after it could arrive first (a `success` before
 * the `downloading` views of the tick before it). Each batch is numbered by its sender and the
 * receivers deliver them in that order, waiting at most GAP_MS for one that was lost.
 */
export class ClusterRelay {
  private readonly uid = Math.random().toString(36).slice(2);
  private seq = 0;
  private waiting: LiveEvent[] = [];
  private readonly senders = new Map<string, { next: number; early: Map<number, Relayed>; timer?: NodeJS.Timeout }>();

  constructor(
    private readonly server: Server,
    private readonly deliver: (events: LiveEvent[]) => void,
  ) {
    server.sockets.on(RELAYED, (batch: Relayed) => this.received(batch));
  }

  publish(event: LiveEvent): void {
    this.waiting.push(event);
    if (this.waiting.length === 1) setImmediate(() => this.flush());
  }

  close(): void {
    for (const sender of this.senders.values()) clearTimeout(sender.timer);
    this.flush();
  }

  private flush(): void {
    if (this.waiting.length === 0) return;
    const events = this.waiting;
    this.waiting = [];
    this.deliver(events);
    this.server.serverSideEmit(RELAYED, { from: this.uid, seq: this.seq++, events } satisfies Relayed);
  }

  private received(batch: Relayed): void {
    // The first batch seen from an instance sets where its order starts.
    let sender = this.senders.get(batch.from);
    if (!sender) this.senders.set(batch.from, (sender = { next: batch.seq, early: new Map() }));
    if (batch.seq < sender.next) return;
    sender.early.set(batch.seq, batch);
    this.drain(sender);
  }

  private drain(sender: { next: number; early: Map<number, Relayed>; timer?: NodeJS.Timeout }): void {
    for (let batch = sender.early.get(sender.next); batch; batch = sender.early.get(sender.next)) {
      sender.early.delete(sender.next);
      sender.next += 1;
      this.deliver(batch.events);
    }
    clearTimeout(sender.timer);
    sender.timer = undefined;
    if (sender.early.size === 0) return;
    // A batch is missing (its sender's NOTIFY failed): after GAP_MS the ones after it go on.
    sender.timer = setTimeout(() => {
      sender.next = Math.min(...sender.early.keys());
      this.drain(sender);
    }, GAP_MS);
    sender.timer.unref();
  }
}
