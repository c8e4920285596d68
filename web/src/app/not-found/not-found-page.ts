import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { Router, RouterLink } from '@angular/router';

@Component({
  selector: 'app-not-found-page',
  imports: [MatButtonModule, RouterLink],
  template: `
    <h1>Page not found</h1>
    <p>
      There is no page at <code>{{ path }}</code>. The link may be out of date, or the address mistyped.
    </p>
    <a mat-flat-button routerLink="/dashboard">Go to the dashboard</a>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class NotFoundPage {
  protected readonly path = inject(Router).url;
}
