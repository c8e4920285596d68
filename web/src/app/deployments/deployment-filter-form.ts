import type { DeploymentFilter } from '@rpi-deploy/contracts';
import { localDayStart } from '../format/local-day';

/** What the filter form holds: dates as the browser's date inputs give them (yyyy-mm-dd, local). */
export interface DeploymentFilterForm {
  status: string;
  venue: string;
  product: string;
  fromDate: string;
  toDate: string;
}

/**
 * The API filter for the form: a "to" date includes that whole day, so it becomes the start of
 * the next day; dates are local days, sent as instants.
 */
export function toDeploymentFilter(form: DeploymentFilterForm): DeploymentFilter {
  const filter: DeploymentFilter = {};
  if (form.status) filter.status = form.status as DeploymentFilter['status'];
  if (form.venue.trim()) filter.venue = form.venue.trim().toUpperCase();
  if (form.product) filter.product = form.product as DeploymentFilter['product'];
  if (form.fromDate) filter.from = localDayStart(form.fromDate, 0);
  if (form.toDate) filter.to = localDayStart(form.toDate, 1);
  return filter;
}
