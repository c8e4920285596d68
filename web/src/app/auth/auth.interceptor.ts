import { HttpErrorResponse, HttpInterceptorFn, HttpStatusCode } from '@angular/common/http';
import { DOCUMENT, inject } from '@angular/core';
import { Router } from '@angular/router';
import { catchError, throwError } from 'rxjs';
import { AuthService, LOGIN_URL } from './auth.service';

/**
 * Adds the bearer token to this app's own /api calls (never to other origins, which must not see
 * it) and ends the session when the server answers 401: the token expired, was revoked, or the
 * server was reset. A 401 from the login call itself just means wrong credentials.
 */
export const authInterceptor: HttpInterceptorFn = (request, next) => {
  const location = inject(DOCUMENT).location;
  const target = new URL(request.url, location.href);
  if (target.origin !== location.origin || !isApiPath(target.pathname)) return next(request);

  const auth = inject(AuthService);
  const router = inject(Router);
  const token = auth.accessToken();
  const authorized = token ? request.clone({ setHeaders: { Authorization: `Bearer ${token}` } }) : request;
  return next(authorized).pipe(
    catchError((error: unknown) => {
      if (
        error instanceof HttpErrorResponse &&
        error.status === HttpStatusCode.Unauthorized &&
        target.pathname !== LOGIN_URL
      ) {
        auth.logout({ returnUrl: router.url, expired: true });
      }
      return throwError(() => error);
    }),
  );
};

function isApiPath(pathname: string): boolean {
  return pathname === '/api' || pathname.startsWith('/api/');
}
