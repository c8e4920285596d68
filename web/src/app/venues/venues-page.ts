import { ChangeDetectionStrategy, Component } from '@angular/core';

@Component({
  selector: 'app-venues-page',
  template: `
    <h1>Venues</h1>
    <p>The kart tracks with their 4-character codes and kart-number pools, and the hostnames handed out at each.</p>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class VenuesPage {}
