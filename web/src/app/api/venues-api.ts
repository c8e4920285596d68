import { HttpClient } from '@angular/common/http';
import { inject, Injectable } from '@angular/core';
import type {
  CreateVenueRequest,
  KartImportRequest,
  KartImportResult,
  UpdateVenueRequest,
  VenueDto,
} from '@rpi-deploy/contracts';
import { map, type Observable } from 'rxjs';

/** Venues and their kart-number pools (`/api/venues`). */
@Injectable({ providedIn: 'root' })
export class VenuesApi {
  private readonly http = inject(HttpClient);

  list(): Observable<VenueDto[]> {
    return this.http.get<VenueDto[]>('/api/venues');
  }

  get(code: string): Observable<VenueDto> {
    return this.http.get<VenueDto>(`/api/venues/${encodeURIComponent(code)}`);
  }

  create(body: CreateVenueRequest): Observable<VenueDto> {
    return this.http.post<VenueDto>('/api/venues', body);
  }

  update(code: string, body: UpdateVenueRequest): Observable<VenueDto> {
    return this.http.patch<VenueDto>(`/api/venues/${encodeURIComponent(code)}`, body);
  }

  remove(code: string): Observable<void> {
    return this.http.delete(`/api/venues/${encodeURIComponent(code)}`).pipe(map(() => undefined));
  }

  importKarts(code: string, body: KartImportRequest): Observable<KartImportResult> {
    return this.http.post<KartImportResult>(`/api/venues/${encodeURIComponent(code)}/karts`, body);
  }
}
