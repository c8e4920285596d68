import { inject } from '@angular/core';
import { CanActivateFn, Router } from '@angular/router';
import { AuthService } from './auth.service';
import { safeReturnUrl } from './return-url';

/** Keeps signed-in users off the login page: they go where they were headed, or to the dashboard. */
export const guestOnlyGuard: CanActivateFn = (route) => {
  if (!inject(AuthService).checkSession()) return true;
  return inject(Router).parseUrl(safeReturnUrl(route.queryParamMap.get('returnUrl')));
};
