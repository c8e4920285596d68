import { AUDIT_REDACTED } from '@rpi-deploy/contracts';

/** Keys whose values never go into the audit, at any depth. */
const SECRET_KEY = /password|token|secret|authorization|hash/i;

/**
 * A copy of `value` fit for the audit: secrets replaced by AUDIT_REDACTED, dates as ISO text.
 * Recorded states are the API's own views (which carry no secrets); this is the safety net for
 * whatever a future view or a returned body might carry.
 */
export function redact(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(redact);
  if (typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([key, inner]) => [
        key,
        SECRET_KEY.test(key) && inner !== null && inner !== undefined ? AUDIT_REDACTED : redact(inner),
      ]),
    );
  }
  if (typeof value === 'bigint') return value.toString();
  return value;
}
