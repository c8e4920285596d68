import { HttpErrorResponse, HttpStatusCode } from '@angular/common/http';
import { apiErrorMessage } from '../../http/api-error-message';

/** What to tell the user when a login attempt fails. */
export function loginErrorMessage(error: unknown): string {
  if (error instanceof HttpErrorResponse && error.status === HttpStatusCode.TooManyRequests) {
    // The throttler's own text ("ThrottlerException: Too Many Requests") is not meant for people.
    return 'Too many attempts: wait a minute, then try again.';
  }
  return apiErrorMessage(error);
}
