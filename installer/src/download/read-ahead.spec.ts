import { readAhead } from './read-ahead';

const piece = (index: number) => ({ index, data: Buffer.alloc(100) });

describe('readAhead', () => {
  it('pulls ahead of a slow consumer, but never more than its byte limit', async () => {
    let pulled = 0;
    async function* source() {
      for (let index = 0; index < 10; index += 1) {
        pulled += 1;
        yield piece(index);
      }
    }
    const seen: number[] = [];
    const pulledWhenSeen: number[] = [];
    for await (const next of readAhead(source(), 300)) {
      await new Promise((resolve) => setTimeout(resolve, 10)); // the card is busy
      seen.push(next.index);
      pulledWhenSeen.push(pulled);
    }
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // While the first piece was being handled, the next ones were already fetched, up to 300 bytes queued.
    expect(pulledWhenSeen[0]).toBe(4);
    for (const [index, count] of pulledWhenSeen.entries()) expect(count - (index + 1)).toBeLessThanOrEqual(3);
  });

  it('hands over the pieces received before the source failed, then the failure', async () => {
    async function* source() {
      yield piece(0);
      yield piece(1);
      throw new Error('connection reset');
    }
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const next of readAhead(source(), 1000)) seen.push(next.index);
      })(),
    ).rejects.toThrow('connection reset');
    expect(seen).toEqual([0, 1]);
  });

  it('stops pulling when the consumer stops', async () => {
    let pulled = 0;
    let closed = false;
    async function* source() {
      try {
        for (let index = 0; ; index += 1) {
          pulled += 1;
          yield piece(index);
        }
      } finally {
        closed = true;
      }
    }
    for await (const next of readAhead(source(), 200)) if (next.index === 2) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(closed).toBe(true);
    expect(pulled).toBeLessThanOrEqual(6);
  });
});
