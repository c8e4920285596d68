import { ChangeDetectionStrategy, Component } from '@angular/core';

@Component({
  selector: 'app-dashboard-page',
  template: `
    <h1>Dashboard</h1>
    <p>
      Live view of the units being deployed right now: each one's step, progress, speed, time left and last error, with
      today's totals.
    </p>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class DashboardPage {}
