import { HttpClient, HttpParams } from '@angular/common/http';
import { inject, Injectable } from '@angular/core';
import type {
  DeploymentDetailDto,
  DeploymentEventPage,
  DeploymentFilter,
  DeploymentPage,
  DeploymentQuery,
  DeploymentStats,
  TrafficSample,
  UnitCommandDto,
  UnitCommandName,
} from '@rpi-deploy/contracts';
import type { Observable } from 'rxjs';

/** Deployment history, details, statistics and the CSV export (`/api/deployments`). */
@Injectable({ providedIn: 'root' })
export class DeploymentsApi {
  private readonly http = inject(HttpClient);

  /** Newest first; `page` is 1-based. */
  list(
    filter: DeploymentFilter,
    page = 1,
    pageSize = 50,
    order?: Required<Pick<DeploymentQuery, 'sort' | 'order'>>,
  ): Observable<DeploymentPage> {
    const query: DeploymentQuery = { ...filter, page, pageSize, ...order };
    return this.http.get<DeploymentPage>('/api/deployments', { params: toParams(query) });
  }

  get(id: string): Observable<DeploymentDetailDto> {
    return this.http.get<DeploymentDetailDto>(`/api/deployments/${encodeURIComponent(id)}`);
  }

  /** The deployment's events older than the event `before`, at most `limit` of them (oldest first). */
  events(id: string, before: number, limit: number): Observable<DeploymentEventPage> {
    const params = new HttpParams().set('before', before).set('limit', limit);
    return this.http.get<DeploymentEventPage>(`/api/deployments/${encodeURIComponent(id)}/events`, { params });
  }

  stats(): Observable<DeploymentStats> {
    return this.http.get<DeploymentStats>('/api/deployments/stats');
  }

  /** The fleet's bytes from the server and from peers over the last 30 minutes, oldest first. */
  traffic(): Observable<TrafficSample[]> {
    return this.http.get<TrafficSample[]>('/api/deployments/traffic');
  }

  /** Queues identify, retry or power-off for the failed unit that waits (409 when it does not). */
  sendCommand(id: string, command: UnitCommandName): Observable<UnitCommandDto> {
    return this.http.post<UnitCommandDto>(`/api/deployments/${encodeURIComponent(id)}/commands`, { command });
  }

  /** The commands sent to the deployment's unit, newest first. */
  commands(id: string): Observable<UnitCommandDto[]> {
    return this.http.get<UnitCommandDto[]>(`/api/deployments/${encodeURIComponent(id)}/commands`);
  }

  /** The filtered history as CSV; fetched with the bearer token, which a plain link cannot send. */
  exportCsv(filter: DeploymentFilter): Observable<Blob> {
    return this.http.get('/api/deployments/export.csv', { params: toParams(filter), responseType: 'blob' });
  }
}

/** The query string: empty fields are left out. */
function toParams(query: DeploymentQuery): HttpParams {
  let params = new HttpParams();
  for (const [key, value] of Object.entries(query)) if (value) params = params.set(key, value);
  return params;
}
