import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A new per-deployment secret for the installer's status reports, and its hash to store. */
export function newStatusToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: sha256(token) };
}

/** Whether `token` is the secret whose hash the deployment keeps (constant time). */
export function tokenMatches(token: string, hash: string): boolean {
  return timingSafeEqual(Buffer.from(sha256(token), 'hex'), Buffer.from(hash, 'hex'));
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
