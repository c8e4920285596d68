import type { AuditAction } from '@rpi-deploy/contracts';
import type { AuditFilter } from '../api/audit-api';
import { localDayStart } from '../format/local-day';

/** What the filter form holds: dates as the browser's date inputs give them (yyyy-mm-dd, local). */
export interface AuditFilterForm {
  actor: string;
  action: string;
  target: string;
  fromDate: string;
  toDate: string;
}

/** The API filter for the form: a "to" date includes that whole day; dates are local days, sent as instants. */
export function toAuditFilter(form: AuditFilterForm): AuditFilter {
  const filter: AuditFilter = {};
  if (form.actor.trim()) filter.actor = form.actor.trim();
  if (form.action) filter.action = form.action as AuditAction;
  if (form.target.trim()) filter.target = form.target.trim();
  if (form.fromDate) filter.from = localDayStart(form.fromDate, 0);
  if (form.toDate) filter.to = localDayStart(form.toDate, 1);
  return filter;
}
