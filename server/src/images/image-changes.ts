import { Injectable } from '@nestjs/common';
import { Subject, type Observable } from 'rxjs';

/** What happened to an image of the catalogue. */
export interface ImageChange {
  id: number;
  change: 'stored' | 'activated' | 'deleted';
}

/**
 * The server's own channel for catalogue changes, as each is committed. Other parts of the
 * server (netboot's TFTP root follows the active images) subscribe here rather than to the
 * dashboards' socket stream, which is shaped for the browser.
 */
@Injectable()
export class ImageChanges {
  private readonly changes = new Subject<ImageChange>();

  readonly changed$: Observable<ImageChange> = this.changes.asObservable();

  announce(change: ImageChange): void {
    this.changes.next(change);
  }
}
