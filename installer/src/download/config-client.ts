import { IMAGE_COMPRESSIONS, type ConfigRequest, type ConfigResponse, type FailureCode } from '@rpi-deploy/contracts';
import { backoffDelay, sleep } from './backoff';
import { errorMessage, isTransientStatus, postJson } from './http-client';

export interface ConfigWait {
  /** How long to keep asking while the server is unreachable or answers 409/503. */
  waitMs: number;
  /** First retry delay; later ones double, up to 30 s. */
  retryDelayMs: number;
  log: (line: string) => void;
}

/** The server gave no configuration: nothing was written and there is no deployment to report to. */
export class ConfigUnavailableError extends Error {
  override readonly name = 'ConfigUnavailableError';

  /** What the unit's LEDs show: the server answered but could not configure it yet, or it was not reached. */
  constructor(
    message: string,
    readonly code: Extract<FailureCode, 'network' | 'server_busy'> = 'server_busy',
  ) {
    super(message);
  }
}

const REQUEST_TIMEOUT_MS = 15_000;
const MAX_RETRY_DELAY_MS = 30_000;

/**
 * `POST /api/config`. Network errors and 5xx are retried with backoff; 409 (no active batch, no
 * free kart number) and 503 (no active image) are logged and retried too, because an operator may
 * be about to fix them. Both stop after `waitMs`. Other 4xx (bad input, unknown venue) fail at once:
 * asking again would get the same answer.
 */
export async function requestConfig(server: string, body: ConfigRequest, wait: ConfigWait): Promise<ConfigResponse> {
  const deadline = Date.now() + wait.waitMs;
  for (let attempt = 1; ; attempt += 1) {
    let problem: string;
    let code: ConfigUnavailableError['code'] = 'server_busy';
    try {
      const response = await postJson(`${server}/api/config`, body, { timeoutMs: REQUEST_TIMEOUT_MS });
      if (response.status === 200) return parseConfig(response.body);
      const message = errorMessage(response);
      if (response.status === 409 || response.status === 503) {
        problem = `the server cannot configure this unit yet (HTTP ${response.status}: ${message})`;
      } else if (isTransientStatus(response.status)) {
        problem = `the server failed (HTTP ${response.status}: ${message})`;
      } else {
        throw new ConfigUnavailableError(
          `the server refused this unit's configuration request (HTTP ${response.status}: ${message})`,
        );
      }
    } catch (error) {
      if (error instanceof ConfigUnavailableError) throw error;
      problem = `the server ${server} is unreachable (${(error as Error).message})`;
      code = 'network';
    }
    const delay = backoffDelay(attempt, { initialMs: wait.retryDelayMs, maxMs: MAX_RETRY_DELAY_MS });
    if (Date.now() + delay > deadline) {
      throw new ConfigUnavailableError(
        `no configuration after ${Math.round(wait.waitMs / 1000)} s and ${attempt} attempts: ${problem}`,
        code,
      );
    }
    wait.log(`${problem}; asking again in ${(delay / 1000).toFixed(1)} s`);
    await sleep(delay);
  }
}

/** Checks the fields the installer relies on, so a server bug fails here and not halfway through the card. */
function parseConfig(body: Buffer): ConfigResponse {
  let config: ConfigResponse;
  try {
    config = JSON.parse(body.toString('utf8')) as ConfigResponse;
  } catch {
    throw new ConfigUnavailableError('the server answered /api/config with something that is not JSON');
  }
  const image = config?.image;
  const problems = [
    typeof config?.deploymentId !== 'string' && 'deploymentId',
    typeof config?.statusToken !== 'string' && 'statusToken',
    typeof config?.hostname !== 'string' && 'hostname',
    typeof image?.url !== 'string' && 'image.url',
    !(Number.isSafeInteger(image?.size) && image.size > 0) && 'image.size',
    !/^[0-9a-f]{64}$/.test(String(image?.sha256)) && 'image.sha256',
    image?.compression !== undefined && !IMAGE_COMPRESSIONS.includes(image.compression) && 'image.compression',
  ].filter((problem): problem is string => typeof problem === 'string');
  if (problems.length > 0) {
    throw new ConfigUnavailableError(`the server's configuration is missing or has invalid ${problems.join(', ')}`);
  }
  return config;
}
