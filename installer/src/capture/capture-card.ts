import { formatBytes, IMAGE_BLOCK_SIZE } from '@rpi-deploy/contracts';
import { backoffDelay, sleep } from '../download/backoff';
import { runProgram } from '../run-program';
import type { InstallerSettings } from '../settings';
import { buildCaptureMap } from './capture-map';
import { captureStream, sendSegments } from './capture-stream';
import { CaptureClient, CaptureRefused } from './capture-client';
import { cardSize } from './card-size';
import { ReadOnlyCard } from './read-only-card';

/** Gaps in the map shorter than this are sent as zeros: fewer, longer requests. */
const SEND_GAP = 8 << 20;
const MAX_RETRY_DELAY_MS = 30_000;

/** Exit codes of capture mode (as an install's: 0 done, 1 failed, 3 the server gave no session). */
export const CAPTURE_EXIT = { success: 0, failed: 1, noSession: 3 } as const;

/**
 * Capture mode: the card, opened read-only (the kernel refuses any write through that file
 * descriptor), is mapped from its file systems' allocation bitmaps and its used bytes stream to
 * the server's capture session, resuming from what the server holds after a dropped connection.
 * Then the unit powers off: a reboot would netboot it again, and with its mark cleared that
 * would be an install over the reference card.
 */
export async function captureCard(settings: InstallerSettings, log: (line: string) => void): Promise<number> {
  const client = new CaptureClient(settings.server);
  let card: ReadOnlyCard;
  try {
    card = new ReadOnlyCard(settings.device, await cardSize(settings.device));
  } catch (error) {
    log(`capture failed: cannot read the card ${settings.device}: ${(error as Error).message}`);
    return CAPTURE_EXIT.failed;
  }
  try {
    const session = await client.open({ serial: settings.serial, mac: settings.mac, sizeBytes: card.size });
    log(`capture ${session.captureId}: this card becomes ${session.product} ${session.version}`);
    const map = buildCaptureMap(card, IMAGE_BLOCK_SIZE);
    log(
      `capture map: ${formatBytes(map.mappedBytes)} of ${formatBytes(card.size)} in use (` +
        map.partitions.map((p) => `partition ${p.index} ${p.kind} ${formatBytes(p.usedBytes)}`).join(', ') +
        ')',
    );
    await sendAll(client, card, map, settings, log);
    const image = await client.finish();
    log(`capture stored: ${image.product} ${image.version} (image ${image.id}, sha256 ${image.sha256})`);
  } catch (error) {
    log(`capture failed: ${(error as Error).message}`);
    return error instanceof CaptureRefused && error.status === 404 ? CAPTURE_EXIT.noSession : CAPTURE_EXIT.failed;
  } finally {
    card.close();
  }
  if (settings.reboot) {
    log('powering off: the reference card is unchanged; take it out or unmark the unit before it boots again');
    await runProgram(settings.poweroffCommand[0], settings.poweroffCommand.slice(1)).catch((error: Error) =>
      log(`power-off failed (${error.message}); switch the unit off`),
    );
  }
  return CAPTURE_EXIT.success;
}

/**
 * Sends every segment past what the server holds. A dropped connection, a server error or a 409
 * (another stream still closing, an offset the server is past) asks the server where it is and
 * goes on from there, up to --download-retries times in a row without progress.
 */
async function sendAll(
  client: CaptureClient,
  card: ReadOnlyCard,
  map: ReturnType<typeof buildCaptureMap>,
  settings: InstallerSettings,
  log: (line: string) => void,
): Promise<void> {
  const segments = sendSegments(map, SEND_GAP);
  const mapped = map.mappedBytes;
  let held = 0;
  let failures = 0;
  for (;;) {
    try {
      const state = await client.state();
      // Bytes that arrived before the connection dropped count as progress.
      if (state.receivedBytes > held) failures = 0;
      held = state.receivedBytes;
      for (const segment of segments) {
        if (segment.end <= held) continue;
        const from = Math.max(held, segment.start);
        held = (await client.send(from, segment.end - from, captureStream(card, map, from, segment.end))).receivedBytes;
        failures = 0;
        log(`capture progress: ${formatBytes(held)} of ${formatBytes(card.size)} held (${formatBytes(mapped)} mapped)`);
      }
      return;
    } catch (error) {
      const retryable = !(error instanceof CaptureRefused) || error.status === 409;
      failures += 1;
      if (!retryable || failures > settings.downloadRetries) throw error;
      const delay = backoffDelay(failures, { initialMs: settings.retryDelayMs, maxMs: MAX_RETRY_DELAY_MS });
      log(`capture stream interrupted (${(error as Error).message}); resuming in ${(delay / 1000).toFixed(1)} s`);
      await sleep(delay);
    }
  }
}
