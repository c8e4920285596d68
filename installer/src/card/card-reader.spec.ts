import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeWorkDir } from '../../test/support/work-dir';
import { open } from 'node:fs/promises';
import { readSpans, type Span } from './card-reader';
import * as targetDevice from './target-device';

const MiB = 1024 * 1024;
const work = makeWorkDir('card-reader');
afterAll(() => work.remove());

/** A card file of 30 MiB plus an odd tail, random throughout, so every byte read can be checked. */
const card = randomBytes(30 * MiB + 1234);
const cardPath = join(work.path, 'random.card');
writeFileSync(cardPath, card);

/** Spans as verification asks for them: unaligned edges, gaps, spans in one window and spans alone, the card's last byte. */
const spans: Span[] = [
  { start: 0, end: 512 },
  { start: 700, end: MiB },
  { start: MiB, end: 2 * MiB },
  { start: 2 * MiB + 4097, end: 3 * MiB - 5 },
  { start: 9 * MiB, end: 10 * MiB },
  { start: 10 * MiB, end: 10 * MiB + 4096 },
  ...Array.from({ length: 12 }, (_, index) => ({ start: (12 + index) * MiB, end: (13 + index) * MiB })),
  { start: 29 * MiB + 3, end: card.length },
];

describe('readSpans', () => {
  it.each([
    ['with O_DIRECT', true],
    ['buffered', false],
  ])('yields exactly the card bytes of every span, in order, %s', async (_mode, direct) => {
    const seen: Span[] = [];
    for await (const { span, data } of readSpans(cardPath, spans, { direct })) {
      seen.push(span);
      expect(data.length).toBe(span.end - span.start);
      expect(data.equals(card.subarray(span.start, span.end))).toBe(true);
    }
    expect(seen).toEqual(spans);
  });

  it('does not reuse a buffer whose data is held, and goes on once it is released', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let first: Buffer | undefined;
    let intactWhenReleased: boolean | undefined;
    let count = 0;
    for await (const { span, data, hold } of readSpans(cardPath, spans, { direct: true })) {
      if (!first) {
        first = data;
        hold(held);
        // Released only later: the reader must wait for it before filling that buffer again.
        setTimeout(() => {
          intactWhenReleased = first?.equals(card.subarray(0, 512));
          release();
        }, 200);
      }
      expect(data.equals(card.subarray(span.start, span.end))).toBe(true);
      count += 1;
    }
    expect(intactWhenReleased).toBe(true);
    expect(count).toBe(spans.length);
  });

  it('reads buffered where the card refuses O_DIRECT reads it took at open', async () => {
    const refusing = jest.spyOn(targetDevice, 'openForDirectReading').mockImplementation(async (path) => {
      const handle = await open(path, 'r');
      handle.read = (() =>
        Promise.reject(Object.assign(new Error('EINVAL: invalid argument, read'), { code: 'EINVAL' }))) as never;
      return handle;
    });
    try {
      let count = 0;
      for await (const { span, data } of readSpans(cardPath, spans, { direct: true })) {
        expect(data.equals(card.subarray(span.start, span.end))).toBe(true);
        count += 1;
      }
      expect(count).toBe(spans.length);
      expect(refusing).toHaveBeenCalledTimes(1);
    } finally {
      refusing.mockRestore();
    }
  });

  it('fails with the byte where a card ends inside a span', async () => {
    const past = [{ start: card.length - 10, end: card.length + 10 }];
    const read = async () => {
      for await (const piece of readSpans(cardPath, past, { direct: true })) void piece;
    };
    await expect(read()).rejects.toThrow(`${cardPath} ends at byte ${card.length}, inside the image`);
  });
});
