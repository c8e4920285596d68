import { HttpClient, HttpEventType, type HttpEvent } from '@angular/common/http';
import { inject, Injectable } from '@angular/core';
import type {
  CanaryDto,
  CanaryStartBody,
  GeneraliseBody,
  GeneralisePlanDto,
  ImageChangesDto,
  ImageConversionDto,
  ImageDto,
  ImageUploadFields,
  ProductCode,
} from '@rpi-deploy/contracts';
import { filter, map, type Observable } from 'rxjs';

/** Where an upload stands: bytes sent so far, or the stored image once the server answered. */
export type UploadState = { kind: 'sending'; loaded: number; total: number | null } | { kind: 'done'; image: ImageDto };

/** Master images (`/api/images`). */
@Injectable({ providedIn: 'root' })
export class ImagesApi {
  private readonly http = inject(HttpClient);

  /** Newest first. */
  list(): Observable<ImageDto[]> {
    return this.http.get<ImageDto[]>('/api/images');
  }

  /**
   * Sends the image as multipart with the text fields first (the server validates them before
   * the bytes arrive). Unsubscribing aborts the upload.
   */
  upload(fields: ImageUploadFields, file: File): Observable<UploadState> {
    const form = new FormData();
    form.append('product', fields.product);
    form.append('version', fields.version);
    if (fields.description) form.append('description', fields.description);
    form.append('file', file, file.name);
    return this.http.post<ImageDto>('/api/images', form, { reportProgress: true, observe: 'events' }).pipe(
      filter((event) => event.type === HttpEventType.UploadProgress || event.type === HttpEventType.Response),
      map((event: HttpEvent<ImageDto>): UploadState => {
        if (event.type === HttpEventType.Response) return { kind: 'done', image: event.body as ImageDto };
        const progress = event as { loaded: number; total?: number };
        return { kind: 'sending', loaded: progress.loaded, total: progress.total ?? null };
      }),
    );
  }

  activate(id: number): Observable<ImageDto> {
    return this.http.post<ImageDto>(`/api/images/${id}/activate`, {});
  }

  rollback(product: ProductCode): Observable<ImageDto> {
    return this.http.post<ImageDto>('/api/images/rollback', { product });
  }

  /** Starts putting an image stored before the chunk store into it; progress comes as image.conversion. */
  convert(id: number): Observable<ImageConversionDto> {
    return this.http.post<ImageConversionDto>(`/api/images/${id}/chunks`, {});
  }

  /** The running canaries, with how their units did. */
  canaries(): Observable<CanaryDto[]> {
    return this.http.get<CanaryDto[]>('/api/images/canaries');
  }

  startCanary(id: number, body: CanaryStartBody): Observable<CanaryDto> {
    return this.http.post<CanaryDto>(`/api/images/${id}/canary`, body);
  }

  endCanary(product: ProductCode, how: 'promote' | 'abandon'): Observable<CanaryDto> {
    return this.http.post<CanaryDto>(`/api/images/canaries/${product}/${how}`, {});
  }

  /** Markdown release notes; empty text clears them. */
  setNotes(id: number, notes: string): Observable<void> {
    return this.http.put(`/api/images/${id}/notes`, { notes }).pipe(map(() => undefined));
  }

  /** What changed from image `from` to image `id`: sizes, chunks shared, packages. */
  changes(id: number, from: number): Observable<ImageChangesDto> {
    return this.http.get<ImageChangesDto>(`/api/images/${id}/changes`, { params: { from } });
  }

  /** What generalising the image would clear: always, and the candidates to choose from. */
  generalisePlan(id: number): Observable<GeneralisePlanDto> {
    return this.http.get<GeneralisePlanDto>(`/api/images/${id}/generalise`);
  }

  /** Stores a generalised copy of the image as a new version. */
  generalise(id: number, body: GeneraliseBody): Observable<ImageDto> {
    return this.http.post<ImageDto>(`/api/images/${id}/generalise`, body);
  }

  remove(id: number): Observable<void> {
    return this.http.delete(`/api/images/${id}`).pipe(map(() => undefined));
  }
}
