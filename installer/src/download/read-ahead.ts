/**
 * Pulls pieces from `source` ahead of the consumer, holding up to `maxBytes` of them. The download
 * then goes on while the card is busy with earlier data (and the card while the network is slow),
 * instead of the socket pausing whenever a write or a sync is awaited: the phases overlap rather
 * than take turns. A failure of the source reaches the consumer after the pieces received before it.
 */
export async function* readAhead<T extends { data: Buffer }>(
  source: AsyncIterable<T>,
  maxBytes: number,
): AsyncGenerator<T> {
  const queue: T[] = [];
  let queuedBytes = 0;
  let finished = false;
  let failure: { error: unknown } | undefined;
  let stopped = false;
  let wakeConsumer: (() => void) | undefined;
  let wakeProducer: (() => void) | undefined;
  const wake = (which: 'consumer' | 'producer') => {
    const resolve = which === 'consumer' ? wakeConsumer : wakeProducer;
    if (which === 'consumer') wakeConsumer = undefined;
    else wakeProducer = undefined;
    resolve?.();
  };

  const producer = (async () => {
    try {
      for await (const piece of source) {
        if (stopped) return;
        queue.push(piece);
        queuedBytes += piece.data.length;
        wake('consumer');
        while (queuedBytes >= maxBytes && !stopped) await new Promise<void>((resolve) => (wakeProducer = resolve));
        if (stopped) return;
      }
    } catch (error) {
      failure = { error };
    } finally {
      finished = true;
      wake('consumer');
    }
  })();

  try {
    for (;;) {
      const piece = queue.shift();
      if (piece) {
        queuedBytes -= piece.data.length;
        wake('producer');
        yield piece;
        continue;
      }
      if (finished) {
        if (failure) throw failure.error;
        return;
      }
      await new Promise<void>((resolve) => (wakeConsumer = resolve));
    }
  } finally {
    // Not awaited: a producer waiting for the network stops (and closes the source) with its next piece.
    stopped = true;
    wake('producer');
    void producer;
  }
}
