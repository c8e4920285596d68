import { FAILURE_CODES, type FailureClass, type FailureCode } from '@rpi-deploy/contracts';
import { InstallError } from '../install-error';

/** Socket errors: the network or the server went away, not the card or the image. */
const NETWORK_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EPIPE']);

/**
 * The failure code of what ended an install: the InstallError's own code where the failure was
 * raised knowing its cause, a socket error counts as `network`, anything else `unknown` (permanent:
 * a person should look before the unit tries again).
 */
export function failureCodeOf(error: unknown): FailureCode {
  if (error instanceof InstallError && error.code) return error.code;
  const errno = (error as NodeJS.ErrnoException | undefined)?.code;
  if (typeof errno === 'string' && NETWORK_ERRNOS.has(errno)) return 'network';
  return 'unknown';
}

export function describeFailure(code: FailureCode): string {
  const { failureClass, blinks, title } = FAILURE_CODES[code];
  return `${title} (${code}, ${failureClass}, ${blinks} red blinks)`;
}

/** When the installer stops after a failure and waits for an operator instead of exiting. */
export const WAIT_FOR_OPERATOR = ['never', 'permanent', 'always'] as const;
export type WaitForOperator = (typeof WAIT_FOR_OPERATOR)[number];

export function waitsForOperator(when: WaitForOperator, failureClass: FailureClass): boolean {
  return when === 'always' || (when === 'permanent' && failureClass === 'permanent');
}
