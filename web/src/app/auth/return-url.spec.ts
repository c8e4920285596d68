import { safeReturnUrl } from './return-url';

describe('safeReturnUrl', () => {
  it.each([
    ['/venues', '/venues'],
    ['/deployments?status=failed&page=2', '/deployments?status=failed&page=2'],
    ['/venues/CORO#karts', '/venues/CORO#karts'],
  ])('keeps the in-app path %s', (candidate, expected) => {
    expect(safeReturnUrl(candidate)).toBe(expected);
  });

  it.each([
    [undefined],
    [null],
    [''],
    ['venues'],
    ['https://evil.example/'],
    ['//evil.example/path'],
    ['/\\evil.example'],
    ['javascript:alert(1)'],
    ['/login'],
    ['/login?returnUrl=%2Fvenues'],
  ])('falls back to the dashboard for %p', (candidate) => {
    expect(safeReturnUrl(candidate)).toBe('/dashboard');
  });
});
