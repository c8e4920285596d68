import { LIVE_TICK_MS, TickBatch } from './tick-batch';

describe('TickBatch', () => {
  let sent: string[][];
  let batch: TickBatch<{ key: string; value: number }>;

  beforeEach(() => {
    jest.useFakeTimers();
    sent = [];
    batch = new TickBatch(
      (item) => item.key,
      (items) => sent.push(items.map(({ key, value }) => `${key}=${value}`)),
    );
  });

  afterEach(() => {
    batch.close();
    jest.useRealTimers();
  });

  it('sends the latest item of each key once per tick, in one batch', () => {
    batch.add({ key: 'a', value: 1 });
    batch.add({ key: 'b', value: 1 });
    batch.add({ key: 'a', value: 2 });
    expect(sent).toEqual([]);

    jest.advanceTimersByTime(LIVE_TICK_MS);
    expect(sent).toEqual([['a=2', 'b=1']]);

    jest.advanceTimersByTime(LIVE_TICK_MS * 3);
    expect(sent).toHaveLength(1); // nothing new, nothing sent
  });

  it('sends an urgent item at once and drops the older one of its key still waiting', () => {
    batch.add({ key: 'a', value: 1 });
    batch.add({ key: 'b', value: 1 });
    batch.sendNow({ key: 'a', value: 9 });
    expect(sent).toEqual([['a=9']]);

    jest.advanceTimersByTime(LIVE_TICK_MS);
    expect(sent).toEqual([['a=9'], ['b=1']]);
  });

  it('sends what is waiting when closed, and nothing after', () => {
    batch.add({ key: 'a', value: 1 });
    batch.close();
    expect(sent).toEqual([['a=1']]);

    batch.add({ key: 'a', value: 2 });
    jest.advanceTimersByTime(LIVE_TICK_MS * 2);
    expect(sent).toEqual([['a=1']]);
  });
});
