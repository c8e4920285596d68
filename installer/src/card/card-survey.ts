import { createHash } from 'node:crypto';
import { CHUNK_PROBE_BYTES, type ImageChunk } from '@rpi-deploy/contracts';
import { readSpans } from './card-reader';
import type { HashWorker } from './hash-worker';
import type { TargetDevice } from './target-device';

export interface CardSurvey {
  /** Indices of the chunks the card already holds, byte for byte. */
  present: Set<number>;
  /**
   * Indices of chunks whose range holds the base of one of their patches (an earlier version's
   * chunk), by that base's SHA-256: the patch is fetched instead of the chunk.
   */
  bases: Map<number, string>;
  /**
   * The card's bytes of present chunks and of patch bases that start inside `keepBelow` (the
   * held-back partition table region, zeroed before writing).
   */
  kept: Map<number, Buffer>;
  /** Bytes read from the card. */
  bytesRead: number;
}

/**
 * Finds the chunks the card already holds (a unit coming back with the previous version, a
 * half-finished install): they need be neither fetched nor written. First the card's first 4 KiB
 * of every chunk's range are compared with the chunks' probes (see `probeCard`); only ranges whose
 * probe matches are then read whole (aligned O_DIRECT reads, several in flight) and hashed on the
 * hashing threads. So a blank card or one holding something else costs a few reads, not a read
 * pass. A range that holds what an earlier version had there (a patch's base) is noted: the
 * patch will do. The card's bytes of such chunks below `keepBelow` are kept, since that region is
 * zeroed before writing and written again last.
 */
export async function surveyCard(
  target: TargetDevice,
  chunks: ImageChunk[],
  hasher: HashWorker,
  keepBelow: number,
  onBytes: (count: number) => void = () => undefined,
): Promise<CardSurvey> {
  const survey: CardSurvey = { present: new Set(), bases: new Map(), kept: new Map(), bytesRead: 0 };
  const count = (bytes: number) => {
    survey.bytesRead += bytes;
    onBytes(bytes);
  };
  const candidates = await probeCard(target, chunks, count);
  const spans = candidates.map((index) => ({
    start: chunks[index].offset,
    end: chunks[index].offset + chunks[index].length,
  }));
  const checks: Array<Promise<void>> = [];
  let next = 0;
  for await (const { data, hold } of readSpans(target.path, spans, { direct: true })) {
    const chunkIndex = candidates[next++];
    const chunk = chunks[chunkIndex];
    const copy = chunk.offset < keepBelow ? Buffer.from(data) : undefined;
    const key = hasher.newHash();
    hold(hasher.updateShared(key, data));
    checks.push(
      hasher.digest(key).then((actual) => {
        if (actual === chunk.sha256) survey.present.add(chunkIndex);
        else if (chunk.patches?.some((patch) => patch.base === actual)) survey.bases.set(chunkIndex, actual);
        else return;
        if (copy) survey.kept.set(chunkIndex, copy);
      }),
    );
    count(data.length);
  }
  await Promise.all(checks);
  return survey;
}

/**
 * The indices of the chunks the card may hold, or hold a patch base for: those whose probe (the
 * SHA-256 of their first 4 KiB, shortened) matches the card's bytes there, and those the server
 * gave no probe for (stored before probes existed), which must be read whole to know.
 */
async function probeCard(
  target: TargetDevice,
  chunks: ImageChunk[],
  count: (bytes: number) => void,
): Promise<number[]> {
  const unknown = (chunk: ImageChunk) => !chunk.probe || chunk.patches?.some((patch) => !patch.baseProbe);
  const probed = chunks.map((_, index) => index).filter((index) => !unknown(chunks[index]));
  const spans = probed.map((index) => {
    const { offset, length } = chunks[index];
    return { start: offset, end: offset + Math.min(length, CHUNK_PROBE_BYTES) };
  });
  const matching = new Set(chunks.map((_, index) => index).filter((index) => unknown(chunks[index])));
  let next = 0;
  for await (const { data } of readSpans(target.path, spans, { direct: true, maxGap: 0 })) {
    const index = probed[next++];
    const probe = createHash('sha256').update(data).digest('hex').slice(0, 16);
    const chunk = chunks[index];
    if (chunk.probe === probe || chunk.patches?.some((patch) => patch.baseProbe === probe)) matching.add(index);
    count(data.length);
  }
  return [...matching].sort((a, b) => a - b);
}
