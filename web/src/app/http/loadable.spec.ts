import { HttpClient, provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { createEnvironmentInjector, EnvironmentInjector, runInInjectionContext } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { Loadable } from './loadable';

interface Venue {
  code: string;
}

describe('Loadable', () => {
  let backend: HttpTestingController;
  let http: HttpClient;
  let injector: EnvironmentInjector;
  /** Read on every reload, like a page's filter or route parameter. */
  let venue: string;

  beforeEach(() => {
    TestBed.configureTestingModule({ providers: [provideHttpClient(), provideHttpClientTesting()] });
    backend = TestBed.inject(HttpTestingController);
    http = TestBed.inject(HttpClient);
    // Its own injector stands for the page, so the test can make the page go away.
    injector = createEnvironmentInjector([], TestBed.inject(EnvironmentInjector));
    venue = 'CORO';
  });

  afterEach(() => backend.verify());

  function venues(): Loadable<Venue[]> {
    return runInInjectionContext(
      injector,
      () => new Loadable(() => http.get<Venue[]>('/api/venues', { params: { code: venue } }), []),
    );
  }

  const request = () => backend.expectOne((r) => r.url === '/api/venues');

  it('holds the initial value and asks nothing until the first reload', () => {
    const list = venues();

    expect(list.value()).toEqual([]);
    expect(list.loading()).toBe(false);
    expect(list.initialLoading()).toBe(false);
    backend.expectNone('/api/venues');
  });

  it('is loading until the answer arrives, then holds the value', () => {
    const list = venues();

    list.reload();
    expect(list.loading()).toBe(true);
    expect(list.initialLoading()).toBe(true);

    request().flush([{ code: 'CORO' }]);
    expect(list.value()).toEqual([{ code: 'CORO' }]);
    expect(list.loading()).toBe(false);
    expect(list.initialLoading()).toBe(false);
    expect(list.error()).toBeNull();
  });

  it('keeps the earlier value visible while reloading, and asks with the parameters of that moment', () => {
    const list = venues();
    list.reload();
    request().flush([{ code: 'CORO' }]);

    venue = 'LEMA';
    list.reload();
    expect(list.loading()).toBe(true);
    expect(list.initialLoading()).toBe(false);
    expect(list.value()).toEqual([{ code: 'CORO' }]);

    const next = request();
    expect(next.request.params.get('code')).toBe('LEMA');
    next.flush([{ code: 'LEMA' }]);
    expect(list.value()).toEqual([{ code: 'LEMA' }]);
  });

  it("says why a request failed, in the server's words, until one succeeds again", () => {
    const list = venues();
    list.reload();
    request().flush([{ code: 'CORO' }]);

    list.reload();
    request().flush({ statusCode: 503, message: 'Database is starting' }, { status: 503, statusText: 'Unavailable' });
    expect(list.error()).toBe('Database is starting');
    expect(list.errorStatus()).toBe(503);
    expect(list.loading()).toBe(false);
    expect(list.value()).toEqual([{ code: 'CORO' }]);

    list.reload();
    expect(list.error()).toBe('Database is starting');
    request().flush([]);
    expect(list.error()).toBeNull();
    expect(list.errorStatus()).toBeNull();
  });

  it('a failed first request ends the initial loading', () => {
    const list = venues();

    list.reload();
    request().error(new ProgressEvent('error'), { status: 0 });

    expect(list.initialLoading()).toBe(false);
    expect(list.error()).toMatch(/^Cannot reach the server/);
    expect(list.errorStatus()).toBe(0);
  });

  it('only the latest request counts: a reload cancels the one under way', () => {
    const list = venues();

    list.reload();
    const first = request();
    venue = 'LEMA';
    list.reload();

    expect(first.cancelled).toBe(true);
    request().flush([{ code: 'LEMA' }]);
    expect(list.value()).toEqual([{ code: 'LEMA' }]);
    expect(list.loading()).toBe(false);
  });

  it('cancels the request under way when the page goes away', () => {
    const list = venues();

    list.reload();
    const pending = request();
    injector.destroy();

    expect(pending.cancelled).toBe(true);
  });

  it('takes a change the page made itself', () => {
    const list = venues();
    list.reload();
    request().flush([{ code: 'CORO' }]);

    list.update((items) => [...items, { code: 'LEMA' }]);

    expect(list.value()).toEqual([{ code: 'CORO' }, { code: 'LEMA' }]);
  });
});
