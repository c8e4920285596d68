import type { ImageDescriptor } from '@rpi-deploy/contracts';
import { backoffDelay, sleep } from './backoff';
import { parseBlockMap } from './block-map';
import { isTransientStatus, request } from './http-client';
import type { ImageMap } from './image-map';
import { InstallError } from '../install-error';

const REQUEST_TIMEOUT_MS = 30_000;

/** Fetches and checks the image's block map; network errors, 5xx, 408 and 429 are retried like the download. */
export async function downloadBlockMap(
  image: ImageDescriptor & { bmapUrl: string },
  retry: { retries: number; retryDelayMs: number; log: (line: string) => void },
): Promise<ImageMap> {
  for (let attempt = 1; ; attempt += 1) {
    let problem: string;
    try {
      const response = await request(image.bmapUrl, { timeoutMs: REQUEST_TIMEOUT_MS });
      if (response.status === 200) {
        const map = parseBlockMap(response.body.toString('utf8'));
        if (map.imageSize !== image.size) {
          throw new InstallError(
            `the block map is for an image of ${map.imageSize} bytes, the image has ${image.size}`,
          );
        }
        return map;
      }
      if (!isTransientStatus(response.status))
        throw new InstallError(`the image's block map is not available (HTTP ${response.status}): ${image.bmapUrl}`);
      problem = `HTTP ${response.status}`;
    } catch (error) {
      if (error instanceof InstallError) throw error;
      problem = (error as Error).message;
    }
    if (attempt > retry.retries)
      throw new InstallError(`could not download the block map ${image.bmapUrl}: ${problem}`);
    const delay = backoffDelay(attempt, { initialMs: retry.retryDelayMs, maxMs: 30_000 });
    retry.log(`block map download failed (${problem}); retrying in ${(delay / 1000).toFixed(1)} s`);
    await sleep(delay);
  }
}
