import { HttpClient, HttpParams } from '@angular/common/http';
import { inject, Injectable } from '@angular/core';
import type {
  DeploymentDetailDto,
  DeploymentPage,
  DeploymentSortKey,
  DeploymentStats,
  DeploymentStatus,
  ProductCode,
  SortOrder,
} from '@rpi-deploy/contracts';
import type { Observable } from 'rxjs';

export interface DeploymentFilter {
  status?: DeploymentStatus;
  venue?: string;
  product?: ProductCode;
  /** ISO 8601: started at or after. */
  from?: string;
  /** ISO 8601: started before. */
  to?: string;
}

/** Deployment history, details, statistics and the CSV export (`/api/deployments`). */
@Injectable({ providedIn: 'root' })
export class DeploymentsApi {
  private readonly http = inject(HttpClient);

  /** Newest first; `page` is 1-based. */
  list(
    filter: DeploymentFilter,
    page = 1,
    pageSize = 50,
    order?: { sort: DeploymentSortKey; order: SortOrder },
  ): Observable<DeploymentPage> {
    let params = toParams(filter).set('page', page).set('pageSize', pageSize);
    if (order) params = params.set('sort', order.sort).set('order', order.order);
    return this.http.get<DeploymentPage>('/api/deployments', { params });
  }

  get(id: string): Observable<DeploymentDetailDto> {
    return this.http.get<DeploymentDetailDto>(`/api/deployments/${encodeURIComponent(id)}`);
  }

  stats(): Observable<DeploymentStats> {
    return this.http.get<DeploymentStats>('/api/deployments/stats');
  }

  /** The filtered history as CSV; fetched with the bearer token, which a plain link cannot send. */
  exportCsv(filter: DeploymentFilter): Observable<Blob> {
    return this.http.get('/api/deployments/export.csv', { params: toParams(filter), responseType: 'blob' });
  }
}

function toParams(filter: DeploymentFilter): HttpParams {
  let params = new HttpParams();
  for (const [key, value] of Object.entries(filter)) if (value) params = params.set(key, value);
  return params;
}
