import { ChangeDetectionStrategy, Component } from '@angular/core';

@Component({
  selector: 'app-deployments-page',
  template: `
    <h1>Deployments</h1>
    <p>The history of every deployment and its status events, with filters, statistics and CSV export.</p>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class DeploymentsPage {}
