import { ChangeDetectionStrategy, Component } from '@angular/core';

@Component({
  selector: 'app-images-page',
  template: `
    <h1>Images</h1>
    <p>
      The KXP2 and RXP2 master images: upload with progress, checksums, the active version per product and rollback.
    </p>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ImagesPage {}
