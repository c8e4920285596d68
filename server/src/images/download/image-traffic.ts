import { Injectable } from '@nestjs/common';
import { Subject, type Observable } from 'rxjs';

/** What the deployment listener sends of the image store. */
export const SERVED_KINDS = ['image', 'block_map', 'chunk'] as const;
export type ServedKind = (typeof SERVED_KINDS)[number];

export interface ServedBytes {
  kind: ServedKind;
  bytes: number;
}

/**
 * The bytes the server itself sent to the Pis, one announcement per response body sent in
 * full. Bodies nginx sends (IMAGES_ACCEL_REDIRECT) never pass here. Observers (the metrics
 * module) subscribe; Images knows none of them.
 */
@Injectable()
export class ImageTraffic {
  private readonly sent = new Subject<ServedBytes>();

  readonly served$: Observable<ServedBytes> = this.sent.asObservable();

  served(kind: ServedKind, bytes: number): void {
    if (bytes > 0) this.sent.next({ kind, bytes });
  }
}
