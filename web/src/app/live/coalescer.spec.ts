import { Coalescer } from './coalescer';

interface Update {
  id: string;
  progress: number;
}

describe('Coalescer', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  function setUp(intervalMs = 200) {
    const batches: Update[][] = [];
    const coalescer = new Coalescer<Update>(
      (update) => update.id,
      (items) => batches.push(items),
      intervalMs,
    );
    return { batches, coalescer };
  }

  it('delivers a burst as one batch after the interval', () => {
    const { batches, coalescer } = setUp();
    for (let progress = 1; progress <= 50; progress++) coalescer.push({ id: `unit-${progress % 5}`, progress });

    jest.advanceTimersByTime(199);
    expect(batches).toHaveLength(0);
    jest.advanceTimersByTime(1);

    expect(batches).toHaveLength(1);
    expect(batches[0]).toHaveLength(5);
  });

  it('keeps only the latest item per key', () => {
    const { batches, coalescer } = setUp();
    coalescer.push({ id: 'a', progress: 10 });
    coalescer.push({ id: 'b', progress: 5 });
    coalescer.push({ id: 'a', progress: 30 });
    jest.runOnlyPendingTimers();

    expect(batches[0]).toEqual([
      { id: 'a', progress: 30 },
      { id: 'b', progress: 5 },
    ]);
  });

  it('starts a new batch for items after a flush', () => {
    const { batches, coalescer } = setUp();
    coalescer.push({ id: 'a', progress: 1 });
    jest.advanceTimersByTime(200);
    coalescer.push({ id: 'a', progress: 2 });
    jest.advanceTimersByTime(200);

    expect(batches).toEqual([[{ id: 'a', progress: 1 }], [{ id: 'a', progress: 2 }]]);
  });

  it('flushes on demand and then has nothing left for the timer', () => {
    const { batches, coalescer } = setUp();
    coalescer.push({ id: 'a', progress: 1 });
    coalescer.flushNow();
    jest.runOnlyPendingTimers();

    expect(batches).toEqual([[{ id: 'a', progress: 1 }]]);
  });

  it('delivers nothing after dispose', () => {
    const { batches, coalescer } = setUp();
    coalescer.push({ id: 'a', progress: 1 });
    coalescer.dispose();
    jest.runOnlyPendingTimers();

    expect(batches).toEqual([]);
  });
});
