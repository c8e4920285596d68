import { HttpClient, HttpParams } from '@angular/common/http';
import { inject, Injectable } from '@angular/core';
import type { HostnameDto, HostnameQuery } from '@rpi-deploy/contracts';
import type { Observable } from 'rxjs';

/** Hostnames of the pools: list, release, retire (`/api/hostnames`). */
@Injectable({ providedIn: 'root' })
export class HostnamesApi {
  private readonly http = inject(HttpClient);

  list(filter: HostnameQuery): Observable<HostnameDto[]> {
    let params = new HttpParams();
    for (const [key, value] of Object.entries(filter)) if (value) params = params.set(key, value);
    return this.http.get<HostnameDto[]>('/api/hostnames', { params });
  }

  release(hostname: string): Observable<HostnameDto> {
    return this.http.post<HostnameDto>(`/api/hostnames/${encodeURIComponent(hostname)}/release`, {});
  }

  retire(hostname: string): Observable<HostnameDto> {
    return this.http.post<HostnameDto>(`/api/hostnames/${encodeURIComponent(hostname)}/retire`, {});
  }
}
