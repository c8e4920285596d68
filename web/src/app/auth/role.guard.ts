import { inject } from '@angular/core';
import { Router, type CanActivateFn } from '@angular/router';
import type { Role } from '@rpi-deploy/contracts';
import { AuthService } from './auth.service';

/** A page only `role` (or higher) may open; anyone else lands on the dashboard. The API checks again. */
export const roleGuard =
  (role: Role): CanActivateFn =>
  () =>
    inject(AuthService).hasRole(role) || inject(Router).parseUrl('/dashboard');
