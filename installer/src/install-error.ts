import type { FailureCode } from '@rpi-deploy/contracts';

/**
 * A failure that ends the install. Its message is what the unit reports as `failed` and prints
 * on the serial console, so it says what went wrong and, where it can, what to do about it.
 * Its code (FAILURE_CODES) says whether the unit retries by itself (transient) or stops and
 * waits for an operator (permanent), and which blink code its LEDs show; without one the
 * failure counts as `unknown`.
 */
export class InstallError extends Error {
  override readonly name = 'InstallError';

  constructor(
    message: string,
    readonly code?: FailureCode,
  ) {
    super(message);
  }
}
