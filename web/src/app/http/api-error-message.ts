import { HttpErrorResponse } from '@angular/common/http';
import type { ApiError } from '@rpi-deploy/contracts';

/**
 * A sentence for the user about a failed API call: the server's own message when it sent one
 * (validation messages arrive as a list), otherwise a description of what went wrong.
 */
export function apiErrorMessage(error: unknown): string {
  if (!(error instanceof HttpErrorResponse)) return 'Something went wrong. Try again.';
  if (error.status === 0) return 'Cannot reach the server. Check the network connection and try again.';
  const serverMessage = messageOf(error.error);
  if (serverMessage) return serverMessage;
  if (error.status >= 500) return `The server failed to handle the request (error ${error.status}). Try again later.`;
  return `The request failed (error ${error.status}${error.statusText ? ` ${error.statusText}` : ''}).`;
}

function messageOf(body: unknown): string | null {
  if (typeof body !== 'object' || body === null) return null;
  const { message } = body as Partial<ApiError>;
  if (typeof message === 'string' && message.trim() !== '') return message;
  if (Array.isArray(message)) {
    const lines = message.filter((line): line is string => typeof line === 'string' && line.trim() !== '');
    if (lines.length > 0) return lines.join('. ');
  }
  return null;
}
