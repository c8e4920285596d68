/** One field that differs between an entry's recorded states. */
export interface AuditChange {
  field: string;
  before: string;
  after: string;
}

/**
 * The fields whose values differ between `before` and `after`, as text. A state that is not an
 * object (or is missing) is compared whole, under the field name "value".
 */
export function auditChanges(before: unknown, after: unknown): AuditChange[] {
  if (isRecord(before) && isRecord(after)) {
    return [...new Set([...Object.keys(before), ...Object.keys(after)])]
      .map((field) => ({ field, before: text(before[field]), after: text(after[field]) }))
      .filter((change) => change.before !== change.after);
  }
  if (isRecord(after) && (before === null || before === undefined)) {
    return Object.entries(after).map(([field, value]) => ({ field, before: '', after: text(value) }));
  }
  if (isRecord(before) && (after === null || after === undefined)) {
    return Object.entries(before).map(([field, value]) => ({ field, before: text(value), after: '' }));
  }
  const change = { field: 'value', before: text(before), after: text(after) };
  return change.before === change.after ? [] : [change];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}
