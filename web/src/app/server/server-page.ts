import { ChangeDetectionStrategy, Component } from '@angular/core';

@Component({
  selector: 'app-server-page',
  template: `
    <h1>Server</h1>
    <p>The health of this deployment server: listeners, services, disk space and the pre-flight checks.</p>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ServerPage {}
