import { HttpErrorResponse, HttpStatusCode } from '@angular/common/http';

/**
 * True when the server answered 404 for the route itself: the feature is not on this server
 * (an older build), so the page says so instead of showing an error.
 */
export function isMissingEndpoint(error: unknown): boolean {
  return error instanceof HttpErrorResponse && error.status === HttpStatusCode.NotFound;
}
