import { formatBytes, type ConfigResponse, type FailureCode, type TransferCounts } from '@rpi-deploy/contracts';
import { downloadBlockMap } from './download/block-map-download';
import { verifyCard, verifyHead } from './card/card-verifier';
import { CardWriter, HEAD_BYTES, type WrittenImage } from './card/card-writer';
import { ChunkWriter } from './card/chunk-writer';
import type { PeerSession } from './peers/peer-session';
import { chunkDecoder, describeCounts, downloadAndWriteChunks, type ChunkCounts } from './chunked-install';
import { HashWorker } from './card/hash-worker';
import { mappedBytes, wholeImageMap, type ImageMap } from './download/image-map';
import { imageSource, type ImageSource } from './download/image-source';
import { InstallError } from './install-error';
import { findPiPartitions, readMbrPartitions, type Partition } from './card/mbr';
import { dropCachedPages } from './card/page-cache';
import { applyPersonalisation, checkPersonalisation, planPersonalisation } from './personalise/personalise';
import { trackProgress } from './progress';
import { checkPrograms, requiredPrograms } from './required-programs';
import { SourceChecker } from './download/source-checker';
import type { InstallerSettings } from './settings';
import type { StatusReporter } from './status-reporter';
import { checkCapacity, type TargetDevice } from './card/target-device';
import { readAhead } from './download/read-ahead';
import { serverTurn } from './download/server-turn';
import { describeBytes, MiB } from './units';
import { ensureZeros } from './card/unmapped-zeros';

/** Image bytes the download may run ahead of the card: the network keeps going while the card syncs. */
const READ_AHEAD_BYTES = 32 * MiB;

/** Shares of the overall progress (percent) that each phase covers. */
const SPANS = { downloading: [1, 85], verifying: [85, 95] } as const;

/**
 * The install proper, in the order that keeps a card safe: stream the image onto the card with
 * the partition table held back, sync, verify from the card (meanwhile reading what personalisation
 * needs), personalise, read the edits back, and only then write the partition table and check it.
 * Returns a one-line summary and what the install moved.
 */
export async function runInstallSteps(
  card: TargetDevice,
  config: ConfigResponse,
  settings: InstallerSettings,
  reporter: StatusReporter,
  log: (line: string) => void,
  peers?: PeerSession,
): Promise<{ summary: string; transfer: TransferCounts }> {
  const { image } = config;
  const started = Date.now();
  checkCapacity(card, image.size);
  await checkPrograms(requiredPrograms(image.compression ?? 'none', card));
  const retry = { retries: settings.downloadRetries, retryDelayMs: settings.retryDelayMs, log };
  const map = image.bmapUrl
    ? await downloadBlockMap({ ...image, bmapUrl: image.bmapUrl }, retry)
    : wholeImageMap(image.size, image.sha256);

  const decompress = chunkDecoder(image, map, log);
  const hasher = new HashWorker();
  let writer: CardWriter | ChunkWriter | undefined;
  let trailing: TrailingVerification | undefined;
  try {
    let written: WrittenImage;
    let servedSha256: ImageSource['servedSha256'];
    let counts: ChunkCounts | undefined;
    let downloaded = 0;
    if (decompress) {
      ({ written, counts } = await downloadAndWriteChunks({
        card,
        config,
        map,
        settings,
        decompress,
        hasher,
        reporter,
        log,
        opened: (opened) => {
          writer = opened;
          trailing = trailWriting(card, map, hasher, opened);
        },
        failed: () => trailing?.failure,
        span: [...SPANS.downloading],
        peers,
      }));
    } else {
      const cardWriter = (writer = await CardWriter.open(card, map, log));
      const source = imageSource(image, map, {
        retries: settings.downloadRetries,
        retryDelayMs: settings.retryDelayMs,
        stallTimeoutMs: settings.stallTimeoutMs,
        log,
        onBytes: (count) => (downloaded += count),
        turn: serverTurn(config.deploymentId, reporter),
      });
      servedSha256 = source.servedSha256;
      const stream = { card, config, map, source, downloaded: () => downloaded, writer: cardWriter, reporter, log };
      written = await downloadAndWrite({ ...stream, hasher });
    }
    const cardWriter = writer as CardWriter | ChunkWriter;
    const install = { card, map, hasher, servedSha256, reporter, log };
    const input = {
      device: card.path,
      partitions: imagePartitions(written.head, image.size),
      hostname: config.hostname,
      instanceId: `rpi-deploy-${config.deploymentId}`,
      bootConfirm: { server: settings.server, deploymentId: config.deploymentId, statusToken: config.statusToken },
      log,
    };
    // Reading what personalisation depends on only reads the card: it runs while the card is verified.
    const planning = planPersonalisation(input);
    planning.catch(() => undefined); // a failed verification is reported first; the plan is then dropped
    const verifiedBytes = await verify(install, written, trailing);

    reporter.report({
      status: 'customizing',
      progress: SPANS.verifying[1],
      message: `personalising as ${config.hostname}`,
    });
    await asInstallError('customisation', 'personalise_failed', async () => {
      const expected = await applyPersonalisation(input, await planning);
      await cardWriter.sync();
      await dropCachedPages(card, log);
      await checkPersonalisation(input, expected);
    });

    reporter.progress({ status: 'customizing', progress: 98, message: 'writing the partition table (last)' });
    await asInstallError('writing the partition table', 'card_faulty', async () => {
      await cardWriter.writeHead();
      await dropCachedPages(card, log);
      await verifyHead(card, written.head);
    });
    const seconds = Math.round((Date.now() - started) / 1000);
    if (counts) log(`chunks: ${describeCounts(counts)}`);
    const transfer: TransferCounts = counts
      ? {
          bytesFetched: counts.bytesFetched,
          bytesWritten: counts.bytesWritten(),
          chunksReused: counts.chunksReused,
          chunksTotal: counts.chunksTotal,
          bytesFromPeers: counts.bytesFromPeers(),
        }
      : { bytesFetched: downloaded, bytesWritten: (cardWriter as CardWriter).bytesWritten + written.head.length };
    return {
      summary: `${config.hostname}: image ${image.version} (${formatBytes(image.size)}) written, ${formatBytes(verifiedBytes + written.head.length)} verified from the card, personalised, in ${seconds} s${counts ? `; ${describeCounts(counts)}` : ''}`,
      transfer,
    };
  } finally {
    // Closing the writer ends a trailing verification's waits; it finishes its hashing before the threads go.
    await Promise.allSettled([writer?.close(), trailing?.done]);
    await Promise.allSettled([hasher.close()]);
  }
}

/** What the download of a whole image or its ranges needs. */
interface StreamInstall {
  card: TargetDevice;
  config: ConfigResponse;
  map: ImageMap;
  source: ImageSource;
  /** Image bytes received from the network so far. */
  downloaded: () => number;
  writer: CardWriter;
  hasher: HashWorker;
  reporter: StatusReporter;
  log: (line: string) => void;
}

/** A verification started while the chunks are written (see ChunkWriter.trail). */
interface TrailingVerification {
  done: Promise<void>;
  /** Bytes read back so far. */
  verified: number;
  failure?: Error;
}

/**
 * Starts reading the card back behind the chunk writer, so that most of it is verified while
 * later chunks download; undefined when the card takes no O_DIRECT writes (verified at the end).
 */
function trailWriting(
  card: TargetDevice,
  map: ImageMap,
  hasher: HashWorker,
  writer: ChunkWriter,
): TrailingVerification | undefined {
  const trail = writer.trail();
  if (!trail) return undefined;
  const onBytes = (count: number) => (trailing.verified += count);
  const trailing: TrailingVerification = {
    verified: 0,
    done: verifyCard(card, map, trail.expected, hasher, onBytes, undefined, trail.ready),
  };
  trailing.done.catch(
    (error: Error) => (trailing.failure ??= installError('reading the card back', 'card_faulty', error)),
  );
  return trailing;
}

/** What verification needs. */
interface VerifyInstall {
  card: TargetDevice;
  map: ImageMap;
  hasher: HashWorker;
  /** Where the image's ranges can be fetched again, to tell a damaged card from a damaged image. */
  servedSha256?: ImageSource['servedSha256'];
  reporter: StatusReporter;
  log: (line: string) => void;
}

async function downloadAndWrite({
  card,
  config,
  map,
  source,
  downloaded,
  writer,
  hasher,
  reporter,
  log,
}: StreamInstall): Promise<WrittenImage> {
  const { image } = config;
  let delivered = 0;
  const message = `image ${image.version}: ${describeBytes(image.size)}, ${formatBytes(mappedBytes(map))} of data; fetching ${source.description}`;
  log(`writing ${card.path}: ${message}`);
  reporter.report({
    status: 'downloading',
    progress: SPANS.downloading[0],
    bytesDone: 0,
    bytesTotal: source.bytesTotal,
    message,
  });
  const stop = trackProgress(
    {
      status: 'downloading',
      span: [...SPANS.downloading],
      bytesDone: () => delivered,
      bytesTotal: source.bytesTotal,
      counters: { download: downloaded, write: () => writer.bytesWritten },
      sources: () => ({ fromServer: downloaded(), fromPeers: 0 }),
    },
    reporter,
    log,
  );
  try {
    const checker = new SourceChecker(map, image.sha256, hasher, { hashRanges: !source.servedSha256 });
    for await (const piece of readAhead(source.pieces, READ_AHEAD_BYTES)) {
      await checker.update(piece.offset, piece.data);
      await asInstallError('writing the card', 'card_faulty', () => writer.write(piece.offset, piece.data));
      delivered += piece.data.length;
    }
    await checker.finish();
    return await asInstallError('writing the card', 'card_faulty', () => writer.finish());
  } finally {
    stop();
  }
}

async function verify(
  { card, map, hasher, servedSha256, reporter, log }: VerifyInstall,
  written: WrittenImage,
  trailing?: TrailingVerification,
): Promise<number> {
  const mapped = written.units.reduce((sum, unit) => sum + (unit.end > HEAD_BYTES ? unit.end - unit.start : 0), 0);
  const zeroChecked =
    written.zeroing === 'check' ? written.unwritten.reduce((sum, span) => sum + span.end - span.start, 0) : 0;
  const bytesTotal = mapped + zeroChecked;
  // A writer that lost O_DIRECT on the way wrote some chunks through the page cache: the reads
  // trailing it may have been answered from there, so the whole card is read again.
  const trailed = trailing && written.direct ? trailing : undefined;
  if (trailing && !trailed) await trailing.done.catch(() => undefined);
  let verified = 0;
  reporter.report({
    status: 'verifying',
    progress: SPANS.verifying[0],
    bytesDone: trailed?.verified ?? 0,
    bytesTotal,
    message: zeroChecked > 0 ? 'reading the card back, and its unmapped blocks for zeros' : 'reading the card back',
  });
  if (!written.direct) await dropCachedPages(card, log);
  const stop = trackProgress(
    {
      status: 'verifying',
      span: [...SPANS.verifying],
      bytesDone: () => verified + (trailed?.verified ?? 0),
      bytesTotal,
      counters: { verify: () => verified + (trailed?.verified ?? 0) },
    },
    reporter,
    log,
  );
  const onBytes = (count: number) => (verified += count);
  try {
    await asInstallError('reading the card back', 'card_faulty', () =>
      trailed ? trailed.done : verifyCard(card, map, written, hasher, onBytes, servedSha256),
    );
    if (zeroChecked > 0) {
      await asInstallError('checking the unmapped blocks', 'card_faulty', () =>
        ensureZeros(card, written.unwritten, {
          direct: written.direct,
          dropCache: () => dropCachedPages(card, log),
          onBytes,
          log,
        }),
      );
    }
  } finally {
    stop();
  }
  log(
    `verified ${formatBytes(mapped)} from the card${zeroChecked > 0 ? `, and ${formatBytes(zeroChecked)} of unmapped blocks read as zeros` : ''}`,
  );
  return mapped;
}

/** The boot and root partitions from the image's MBR, checked to lie where personalisation may edit them. */
function imagePartitions(head: Buffer, imageSize: number): { boot: Partition; root: Partition } {
  const partitions = findPiPartitions(readMbrPartitions(head));
  for (const partition of [partitions.boot, partitions.root]) {
    if (partition.startBytes < HEAD_BYTES) {
      throw new InstallError(
        `partition ${partition.index} starts at byte ${partition.startBytes}, inside the first MiB that is written last; ` +
          'such an image cannot be personalised before its partition table is on the card',
      );
    }
    if (partition.startBytes + partition.sizeBytes > imageSize) {
      throw new InstallError(
        `partition ${partition.index} ends at byte ${partition.startBytes + partition.sizeBytes}, beyond the image (${imageSize} bytes)`,
      );
    }
  }
  return partitions;
}

/**
 * Runs a step; failures that are not yet an InstallError (EIO, a tool that failed) become one that
 * names the step, and a failure without a code gets the step's (a card step fails with the card).
 */
async function asInstallError<T>(step: string, code: FailureCode, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw installError(step, code, error as Error);
  }
}

function installError(step: string, code: FailureCode, error: Error): InstallError {
  if (error instanceof InstallError) return error.code ? error : new InstallError(error.message, code);
  return new InstallError(`${step} failed: ${error.message}`, code);
}
