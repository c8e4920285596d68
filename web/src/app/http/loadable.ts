import { signal, type WritableSignal } from '@angular/core';
import type { Observable } from 'rxjs';
import { apiErrorMessage } from './api-error-message';

/** One section's data as it loads: value, or failed with a message. */
export type Loadable<T> = { state: 'loading' } | { state: 'ready'; value: T } | { state: 'failed'; message: string };

export function loadable<T>(): WritableSignal<Loadable<T>> {
  return signal<Loadable<T>>({ state: 'loading' });
}

/** Subscribes and keeps `target` up to date; an earlier value stays visible while reloading. */
export function loadInto<T>(source: Observable<T>, target: WritableSignal<Loadable<T>>): void {
  source.subscribe({
    next: (value) => target.set({ state: 'ready', value }),
    error: (error: unknown) => target.set({ state: 'failed', message: apiErrorMessage(error) }),
  });
}
