import type { Adapter, BroadcastOptions } from 'socket.io-adapter';

/**
 * Delivers an adapter's broadcasts in the order they were emitted. The PostgreSQL adapter sends
 * each broadcast over NOTIFY (one pool query) and only then delivers it locally, so two events
 * emitted back to back (a conversion `queued`, then `running`) could reach the dashboards the
 * wrong way round whenever the second query finished first. Chaining them keeps the order, on
 * this instance and on the others; the adapter has no option for it, hence this wrapper.
 */
export function inEmitOrder<T extends Adapter>(adapter: T): T {
  const broadcast = adapter.broadcast.bind(adapter) as (packet: unknown, opts: BroadcastOptions) => unknown;
  let previous: Promise<unknown> = Promise.resolve();
  adapter.broadcast = (packet: unknown, opts: BroadcastOptions) => {
    previous = previous.then(() => broadcast(packet, opts)).catch(() => undefined);
  };
  return adapter;
}
