import { HttpClient, HttpParams } from '@angular/common/http';
import { inject, Injectable } from '@angular/core';
import type { UnitLabel } from '@rpi-deploy/contracts';
import type { Observable } from 'rxjs';

/** Which units: every unit of a batch, or chosen deployments. */
export type LabelSelection = { batch: number } | { deploymentIds: string[] };

/** Unit labels (`/api/labels`, `/api/labels.pdf`). */
@Injectable({ providedIn: 'root' })
export class LabelsApi {
  private readonly http = inject(HttpClient);

  list(selection: LabelSelection): Observable<UnitLabel[]> {
    return this.http.get<UnitLabel[]>('/api/labels', { params: toParams(selection) });
  }

  pdf(selection: LabelSelection): Observable<Blob> {
    return this.http.get('/api/labels.pdf', { params: toParams(selection), responseType: 'blob' });
  }
}

function toParams(selection: LabelSelection): HttpParams {
  return 'batch' in selection
    ? new HttpParams().set('batch', selection.batch)
    : new HttpParams().set('deploymentIds', selection.deploymentIds.join(','));
}
