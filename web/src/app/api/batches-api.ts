import { HttpClient } from '@angular/common/http';
import { inject, Injectable } from '@angular/core';
import type { BatchAction, BatchDto, CreateBatchRequest } from '@rpi-deploy/contracts';
import type { Observable } from 'rxjs';

/** Deployment batches (`/api/batches`). */
@Injectable({ providedIn: 'root' })
export class BatchesApi {
  private readonly http = inject(HttpClient);

  /** Newest first. */
  list(): Observable<BatchDto[]> {
    return this.http.get<BatchDto[]>('/api/batches');
  }

  create(body: CreateBatchRequest): Observable<BatchDto> {
    return this.http.post<BatchDto>('/api/batches', body);
  }

  apply(id: number, action: BatchAction): Observable<BatchDto> {
    return this.http.post<BatchDto>(`/api/batches/${id}/${action}`, {});
  }
}
