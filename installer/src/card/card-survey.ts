import type { ImageChunk } from '@rpi-deploy/contracts';
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
 * Reads the card at every chunk's range (aligned O_DIRECT reads, several in flight) and hashes what
 * it holds on the hashing threads: a chunk whose bytes are already there (a unit coming back with
 * the previous version, a half-finished install) need be neither fetched nor written. A card that
 * holds something else costs this one read pass. A range that holds what an earlier version had
 * there (a patch's base) is noted: the patch will do. The card's bytes of such chunks below
 * `keepBelow` are kept, since that region is zeroed before writing and written again last.
 */
export async function surveyCard(
  target: TargetDevice,
  chunks: ImageChunk[],
  hasher: HashWorker,
  keepBelow: number,
  onBytes: (count: number) => void = () => undefined,
): Promise<CardSurvey> {
  const survey: CardSurvey = { present: new Set(), bases: new Map(), kept: new Map(), bytesRead: 0 };
  const spans = chunks.map((chunk) => ({ start: chunk.offset, end: chunk.offset + chunk.length }));
  const checks: Array<Promise<void>> = [];
  let index = 0;
  for await (const { data, hold } of readSpans(target.path, spans, { direct: true })) {
    const chunkIndex = index++;
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
    survey.bytesRead += data.length;
    onBytes(data.length);
  }
  await Promise.all(checks);
  return survey;
}
