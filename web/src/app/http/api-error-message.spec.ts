import { HttpErrorResponse } from '@angular/common/http';
import { apiErrorMessage } from './api-error-message';

const failure = (status: number, error: unknown, statusText = '') =>
  new HttpErrorResponse({ status, error, statusText, url: '/api/venues' });

describe('apiErrorMessage', () => {
  it("uses the server's message", () => {
    expect(apiErrorMessage(failure(409, { statusCode: 409, message: 'Venue CORO already exists' }))).toBe(
      'Venue CORO already exists',
    );
  });

  it('joins a list of validation messages', () => {
    const body = { statusCode: 400, message: ['code must be 4 characters', 'name should not be empty'] };

    expect(apiErrorMessage(failure(400, body))).toBe('code must be 4 characters. name should not be empty');
  });

  it('explains an unreachable server', () => {
    expect(apiErrorMessage(failure(0, new ProgressEvent('error')))).toMatch(/^Cannot reach the server/);
  });

  it('describes a server failure without a message', () => {
    expect(apiErrorMessage(failure(502, '<html>Bad gateway</html>', 'Bad Gateway'))).toBe(
      'The server failed to handle the request (error 502). Try again later.',
    );
  });

  it('names the status of other failures without a message', () => {
    expect(apiErrorMessage(failure(404, null, 'Not Found'))).toBe('The request failed (error 404 Not Found).');
  });

  it('does not leak programming errors to the user', () => {
    expect(apiErrorMessage(new TypeError('x is undefined'))).toBe('Something went wrong. Try again.');
  });
});
