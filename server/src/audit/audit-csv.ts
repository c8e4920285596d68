import type { AuditEntryDto } from '@rpi-deploy/contracts';
import { toCsv, type CsvColumns } from '../csv/csv';

const COLUMNS: CsvColumns<AuditEntryDto> = [
  ['id', (e) => e.id],
  ['at', (e) => e.at],
  ['actor', (e) => e.actor],
  ['ip', (e) => e.ip],
  ['action', (e) => e.action],
  ['target_type', (e) => e.targetType],
  ['target_id', (e) => e.targetId],
  ['before', (e) => (e.before === null ? null : JSON.stringify(e.before))],
  ['after', (e) => (e.after === null ? null : JSON.stringify(e.after))],
];

/** The audit log as CSV; before and after as JSON text. */
export function auditCsv(entries: AuditEntryDto[]): string {
  return toCsv(COLUMNS, entries);
}
