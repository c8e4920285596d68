import { backoffDelay, sleep } from './backoff';
import { isTransientStatus, request } from './http-client';
import { InstallError } from '../install-error';

const REQUEST_TIMEOUT_MS = 30_000;

export interface DocumentRetry {
  retries: number;
  retryDelayMs: number;
  log: (line: string) => void;
}

/**
 * Fetches a small document the install needs before any image byte (the block map, the chunk
 * manifest) and hands its body to `parse`; network errors, 5xx, 408 and 429 are retried like the
 * download, any other answer or a parse failure (an InstallError) ends the install at once.
 */
export async function downloadSmallDocument<T>(
  what: string,
  url: string,
  retry: DocumentRetry,
  parse: (body: Buffer) => T,
): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    let problem: string;
    try {
      const response = await request(url, { timeoutMs: REQUEST_TIMEOUT_MS });
      if (response.status === 200) return parse(response.body);
      if (!isTransientStatus(response.status))
        throw new InstallError(`the image's ${what} is not available (HTTP ${response.status}): ${url}`);
      problem = `HTTP ${response.status}`;
    } catch (error) {
      if (error instanceof InstallError) throw error;
      problem = (error as Error).message;
    }
    if (attempt > retry.retries) throw new InstallError(`could not download the ${what} ${url}: ${problem}`, 'network');
    const delay = backoffDelay(attempt, { initialMs: retry.retryDelayMs, maxMs: 30_000 });
    retry.log(`${what} download failed (${problem}); retrying in ${(delay / 1000).toFixed(1)} s`);
    await sleep(delay);
  }
}
