import { ChangeDetectionStrategy, Component, computed, inject } from '@angular/core';
import { AuthService } from '../auth/auth.service';
import { Notice } from '../shared/notice';
import { ProxmoxPanel } from './proxmox/proxmox-panel';
import { UsersPanel } from './users-panel';

/** The admin area: who may use the dashboard (admins only), and the Proxmox VM the server runs in. */
@Component({
  selector: 'app-admin-page',
  imports: [Notice, ProxmoxPanel, UsersPanel],
  template: `
    <div class="page-header"><h1>Admin</h1></div>
    <p class="page-intro">Who may use this deployment server, and the Proxmox VM it runs in.</p>
    @if (isAdmin()) {
      <app-users-panel />
    } @else {
      <section class="section" aria-labelledby="users-heading">
        <h2 id="users-heading">Users and roles</h2>
        <app-notice>Only admins manage users and roles.</app-notice>
      </section>
    }
    <app-proxmox-panel />
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class AdminPage {
  private readonly auth = inject(AuthService);
  protected readonly isAdmin = computed(() => this.auth.hasRole('admin'));
}
