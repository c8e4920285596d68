import { inject } from '@angular/core';
import { CanActivateFn, Router } from '@angular/router';
import { AuthService } from './auth.service';
import { LOGIN_PATH } from './return-url';

/** Lets signed-in users through; sends everyone else to the login page, remembering where they were going. */
export const authGuard: CanActivateFn = (_route, state) => {
  if (inject(AuthService).checkSession()) return true;
  return inject(Router).createUrlTree([LOGIN_PATH], { queryParams: { returnUrl: state.url } });
};
