import { garbageCollector } from './garbage-collection';
import { formatBytes, type ChunkManifest, type ConfigResponse, type ImageDescriptor } from '@rpi-deploy/contracts';
import { readCardRange } from './card/card-reader';
import { surveyCard } from './card/card-survey';
import { HEAD_BYTES, openCard, type WrittenImage } from './card/card-writer';
import { ChunkWriter } from './card/chunk-writer';
import type { HashWorker } from './card/hash-worker';
import type { TargetDevice } from './card/target-device';
import { downloadManifest } from './download/chunk-manifest';
import { fetchChunks } from './download/chunk-fetcher';
import type { ImageMap } from './download/image-map';
import { mapCoversImage } from './download/source-checker';
import { nodeZstd, NODE_ZSTD_SINCE, type ZstdDecompress } from './download/zstd';
import { serverTurn } from './download/server-turn';
import { InstallError } from './install-error';
import { trackProgress } from './progress';
import type { PeerSession } from './peers/peer-session';
import type { InstallerSettings } from './settings';
import type { StatusReporter } from './status-reporter';
import { describeBytes, MiB } from './units';

/** Chunk bytes written between two garbage collections: dead chunks stay well under the memory budget. */
const COLLECT_EVERY_BYTES = 32 * MiB;

/** What a chunked install moved, for the console and the final report. */
export interface ChunkCounts {
  chunksTotal: number;
  /** Chunks the card already held: neither fetched nor written. */
  chunksReused: number;
  /** Chunks rebuilt from a patch against what the card held at their range. */
  chunksPatched: number;
  /** Compressed bytes received from the network, refetches included. */
  bytesFetched: number;
  /** Of bytesFetched, those received from other units. */
  bytesFromPeers: () => number;
  /** Bytes written to the card, the partition table region included once it is written. */
  bytesWritten: () => number;
  /** Bytes read from the card to find the chunks it holds. */
  bytesSurveyed: number;
  surveySeconds: number;
}

/**
 * Whether this install goes by chunks: the configuration names a manifest, the block map has a
 * checksum on every range (verification compares with it) and this Node's zlib decodes zstd.
 * Otherwise the image is fetched as before, and the console says why once.
 */
export function chunkDecoder(image: ImageDescriptor, map: ImageMap, log: (line: string) => void) {
  if (!image.manifestUrl) return undefined;
  if (!mapCoversImage(map)) {
    log('pi-installer: the image has a chunk manifest but no block map with checksums: fetching it uncompressed');
    return undefined;
  }
  const decompress = nodeZstd();
  if (!decompress) {
    log(
      `pi-installer: Node ${process.versions.node} has no zstd (needs ${NODE_ZSTD_SINCE} or later): fetching the image uncompressed`,
    );
  }
  return decompress;
}

/**
 * The chunked download and write: the manifest, checked; one read pass over the card to find the
 * chunks it already holds (and those whose range holds an earlier version's chunk, for which a
 * patch will do); then the others fetched, decoded, checked and written in place. A card
 * that holds none of them is prepared as for a fresh install (emptied, discarded or zeroed); one
 * that holds some keeps them, and its unmapped blocks are checked for zeros after writing.
 */
export async function downloadAndWriteChunks(install: {
  card: TargetDevice;
  config: ConfigResponse;
  map: ImageMap;
  settings: InstallerSettings;
  decompress: ZstdDecompress;
  hasher: HashWorker;
  reporter: StatusReporter;
  log: (line: string) => void;
  /** Called with the writer as soon as the card is open, so the caller closes it whatever happens. */
  opened: (writer: ChunkWriter) => void;
  /** A failure found meanwhile (the trailing verification's): the download stops with it. */
  failed?: () => Error | undefined;
  span: [number, number];
  peers?: PeerSession;
}): Promise<{ written: WrittenImage; counts: ChunkCounts }> {
  const { card, config, map, settings, hasher, reporter, log } = install;
  const image = config.image as ImageDescriptor & { manifestUrl: string };
  const retry = { retries: settings.downloadRetries, retryDelayMs: settings.retryDelayMs, log };
  const manifest = await downloadManifest(image, map, retry);
  const mapped = manifest.chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  const stored = manifest.chunks.reduce((sum, chunk) => sum + chunk.storedSize, 0);
  const counts: ChunkCounts = {
    chunksTotal: manifest.chunks.length,
    chunksReused: 0,
    chunksPatched: 0,
    bytesFetched: 0,
    bytesFromPeers: () => install.peers?.bytesFromPeers ?? 0,
    bytesWritten: () => 0,
    bytesSurveyed: 0,
    surveySeconds: 0,
  };
  let delivered = 0;
  reporter.report({
    status: 'downloading',
    progress: install.span[0],
    bytesDone: 0,
    bytesTotal: mapped,
    message: `image ${image.version}: reading the card for the ${manifest.chunks.length} chunks it may already hold`,
  });
  // Reports go on while the card is read (nothing counts as done yet): the server sees the unit alive.
  const stop = trackProgress(
    {
      status: 'downloading',
      span: install.span,
      bytesDone: () => delivered,
      bytesTotal: mapped,
      counters: { download: () => counts.bytesFetched, write: () => counts.bytesWritten() },
      sources: () => ({
        fromServer: counts.bytesFetched - counts.bytesFromPeers(),
        fromPeers: counts.bytesFromPeers(),
      }),
    },
    reporter,
    log,
  );
  try {
    const surveyStarted = Date.now();
    const survey = await surveyCard(card, manifest.chunks, hasher, HEAD_BYTES).catch((error: Error) => {
      throw new InstallError(`reading the card before writing failed: ${error.message}`, 'card_faulty');
    });
    counts.chunksReused = survey.present.size;
    counts.bytesSurveyed = survey.bytesRead;
    counts.surveySeconds = (Date.now() - surveyStarted) / 1000;
    const missing = manifest.chunks.map((_, index) => index).filter((index) => !survey.present.has(index));
    install.peers?.attach(
      manifest,
      card.path,
      missing.map((index) => manifest.chunks[index].sha256),
    );
    for (const index of survey.present) install.peers?.hold(manifest.chunks[index].sha256);
    const frameSize = (index: number) => {
      const chunk = manifest.chunks[index];
      const base = survey.bases.get(index);
      return chunk.patches?.find((patch) => patch.base === base)?.storedSize ?? chunk.storedSize;
    };
    const toFetch = missing.reduce((sum, index) => sum + frameSize(index), 0);
    const patched = survey.bases.size > 0 ? `, ${survey.bases.size} of them as patches against what it holds` : '';
    const message =
      `image ${image.version}: ${manifest.chunks.length} chunks, ${formatBytes(mapped)} of data; the card holds ` +
      `${survey.present.size} already (read ${describeBytes(survey.bytesRead)} in ${counts.surveySeconds.toFixed(1)} s); ` +
      `fetching ${missing.length}${patched} (${formatBytes(toFetch)} compressed of ${formatBytes(stored)})`;
    log(`writing ${card.path}: ${message}`);

    // A card holding chunks or patch bases keeps its contents: preparing it would wipe them.
    const keepCard = survey.present.size > 0 || survey.bases.size > 0;
    const opened = await openCard(card, map.imageSize, log, { keepCard });
    const writer = new ChunkWriter(
      opened,
      map,
      Buffer.alloc(Math.min(HEAD_BYTES, map.imageSize)),
      Math.max(...manifest.chunks.map((chunk) => chunk.length)),
      log,
    );
    install.opened(writer);
    counts.bytesWritten = () => writer.bytesWritten;
    for (const [index, bytes] of survey.kept) {
      if (survey.present.has(index)) bytes.copy(writer.head, manifest.chunks[index].offset);
    }
    delivered = mapped - missing.reduce((sum, index) => sum + manifest.chunks[index].length, 0);
    reporter.report({
      status: 'downloading',
      progress: install.span[0],
      bytesDone: delivered,
      bytesTotal: mapped,
      message,
    });

    // A patch's base is read from the card just before its chunk is fetched: the writer, behind
    // the fetcher, has not reached that range yet (the held-back head's bases were kept).
    const patchBase = (index: number) => {
      const base = survey.bases.get(index);
      if (!base) return undefined;
      const { offset, length } = manifest.chunks[index];
      const kept = survey.kept.get(index);
      return { base, bytes: async () => kept ?? (await readCardRange(card.path, offset, length)) };
    };
    const chunks = fetchChunks(
      manifest,
      missing,
      { ...install, patchBase },
      {
        retries: settings.downloadRetries,
        retryDelayMs: settings.retryDelayMs,
        stallTimeoutMs: settings.stallTimeoutMs,
        log,
        onBytes: (count) => (counts.bytesFetched += count),
        turn: serverTurn(config.deploymentId, reporter),
      },
    );
    let next = 0;
    const collectGarbage = garbageCollector();
    let sinceCollected = 0;
    for await (const { index, data, patched } of chunks) {
      if (patched) counts.chunksPatched += 1;
      for (; next < index; next += 1) keepChunk(writer, manifest, next);
      next = index + 1;
      await writeCard(() => writer.write(manifest.chunks[index].offset, data));
      delivered += data.length;
      sinceCollected += data.length;
      if (sinceCollected >= COLLECT_EVERY_BYTES) {
        sinceCollected = 0;
        collectGarbage();
      }
      const failure = install.failed?.();
      if (failure) throw failure;
    }
    for (; next < manifest.chunks.length; next += 1) keepChunk(writer, manifest, next);
    return { written: await writeCard(() => writer.finish()), counts };
  } finally {
    stop();
  }
}

function keepChunk(writer: ChunkWriter, manifest: ChunkManifest, index: number): void {
  writer.keep(manifest.chunks[index].offset, manifest.chunks[index].length);
}

async function writeCard<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof InstallError) throw error;
    throw new InstallError(`writing the card failed: ${(error as Error).message}`, 'card_faulty');
  }
}

/** One line for the console and the final report: what travelled, what was written, what was reused. */
export function describeCounts(counts: ChunkCounts): string {
  return (
    `${describeBytes(counts.bytesFetched)} fetched, ${describeBytes(counts.bytesWritten())} written, ` +
    `${counts.chunksReused} of ${counts.chunksTotal} chunks reused from the card` +
    (counts.chunksPatched > 0 ? `, ${counts.chunksPatched} patched` : '') +
    (counts.bytesFromPeers() > 0 ? `, ${describeBytes(counts.bytesFromPeers())} of it from peers` : '')
  );
}
