import { HttpClient, HttpParams } from '@angular/common/http';
import { inject, Injectable } from '@angular/core';
import type { AuditPage, AuditQuery } from '@rpi-deploy/contracts';
import type { Observable } from 'rxjs';

/** What the audit page filters on: the query without paging. */
export type AuditFilter = Omit<AuditQuery, 'page' | 'pageSize'>;

/** The audit log and its CSV export (`/api/audit`, admins only). */
@Injectable({ providedIn: 'root' })
export class AuditApi {
  private readonly http = inject(HttpClient);

  /** Newest first; `page` is 1-based. */
  list(filter: AuditFilter, page = 1, pageSize = 50): Observable<AuditPage> {
    return this.http.get<AuditPage>('/api/audit', { params: toParams({ ...filter, page, pageSize }) });
  }

  /** The filtered log as CSV; fetched with the bearer token, which a plain link cannot send. */
  exportCsv(filter: AuditFilter): Observable<Blob> {
    return this.http.get('/api/audit.csv', { params: toParams(filter), responseType: 'blob' });
  }
}

/** The query string: empty fields are left out. */
function toParams(query: AuditQuery): HttpParams {
  let params = new HttpParams();
  for (const [key, value] of Object.entries(query)) if (value) params = params.set(key, value);
  return params;
}
