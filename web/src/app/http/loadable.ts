import { HttpErrorResponse } from '@angular/common/http';
import { computed, DestroyRef, inject, signal, type Signal, type WritableSignal } from '@angular/core';
import type { Observable, Subscription } from 'rxjs';
import { apiErrorMessage } from './api-error-message';

interface LoadState<T> {
  value: T;
  /** A request is under way. */
  loading: boolean;
  /** At least one request has been answered, with a value or a failure. */
  answered: boolean;
  failure: { message: string; status: number | null } | null;
}

/**
 * Data a page loads from the API, in the same shape on every page: the value, whether a request is
 * under way, and why the last one failed as a sentence for the user. `reload()` asks again; the
 * earlier value stays on screen meanwhile, and only the latest request's answer counts.
 *
 * Create it in a field initializer (an injection context): a request still running when the page
 * goes away is cancelled.
 */
export class Loadable<T> {
  private readonly state: WritableSignal<LoadState<T>>;
  private request: Subscription | undefined;

  /** The latest value loaded (or set by the page); `initial` until the first one arrives. */
  readonly value: Signal<T>;
  /** A request is under way. */
  readonly loading: Signal<boolean>;
  /** The first request is under way: nothing to show yet, not even an error. */
  readonly initialLoading: Signal<boolean>;
  /** Why the latest request failed, for the user; null once a request succeeds. */
  readonly error: Signal<string | null>;
  /** The HTTP status of that failure (0: the server was not reached), null when there was none. */
  readonly errorStatus: Signal<number | null>;

  /** `source` is called on every reload, so it may read the page's current filter or route parameter. */
  constructor(
    private readonly source: () => Observable<T>,
    initial: T,
  ) {
    this.state = signal<LoadState<T>>({ value: initial, loading: false, answered: false, failure: null });
    this.value = computed(() => this.state().value);
    this.loading = computed(() => this.state().loading);
    this.initialLoading = computed(() => this.state().loading && !this.state().answered);
    this.error = computed(() => this.state().failure?.message ?? null);
    this.errorStatus = computed(() => this.state().failure?.status ?? null);
    inject(DestroyRef).onDestroy(() => this.request?.unsubscribe());
  }

  /** Asks the API (again), cancelling a request still under way. */
  reload(): void {
    this.request?.unsubscribe();
    this.state.update((state) => ({ ...state, loading: true }));
    this.request = this.source().subscribe({
      next: (value) => this.state.update((state) => ({ ...state, value, answered: true, failure: null })),
      error: (error: unknown) =>
        this.state.update((state) => ({
          ...state,
          loading: false,
          answered: true,
          failure: {
            message: apiErrorMessage(error),
            status: error instanceof HttpErrorResponse ? error.status : null,
          },
        })),
      complete: () => this.state.update((state) => ({ ...state, loading: false, answered: true })),
    });
  }

  /** A change the page knows of without asking, such as the updated row an action answered with. */
  update(change: (value: T) => T): void {
    this.state.update((state) => ({ ...state, value: change(state.value) }));
  }
}
