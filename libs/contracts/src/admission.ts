/**
 * Admission to the server's link: the server lets DEPLOY_MAX_SERVER_TRANSFERS units draw image
 * and chunk bytes at once. Every other image or chunk GET is answered 503 with `Retry-After`
 * (seconds) and QUEUE_POSITION_HEADER, and a JSON body { message, position, retryAfterSeconds }.
 */

/** Request header: the installer's deploymentId, so its slot and place in line are its own. */
export const UNIT_HEADER = 'x-rpi-deploy-unit';
/** Response header of a 503: the unit's 1-based place in line. */
export const QUEUE_POSITION_HEADER = 'x-queue-position';

/** 1 -> "1st", 2 -> "2nd", 11 -> "11th", 23 -> "23rd". */
export function ordinal(n: number): string {
  const teen = n % 100 >= 11 && n % 100 <= 13;
  const suffix = teen ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}

/** What a unit in line shows: "waiting for the network, 4th in line". */
export function waitingInLine(position: number): string {
  return `waiting for the network, ${ordinal(position)} in line`;
}
