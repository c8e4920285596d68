import { ChangeDetectionStrategy, Component } from '@angular/core';

@Component({
  selector: 'app-batches-page',
  template: `
    <h1>Batches</h1>
    <p>Deployment batches (venue, product, count and priority) that you start, pause and cancel.</p>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class BatchesPage {}
