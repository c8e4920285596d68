import { computed, DestroyRef, DOCUMENT, inject, Injectable, signal } from '@angular/core';

export type ColorScheme = 'light' | 'dark';

export const THEME_STORAGE_KEY = 'rpi-deploy.theme';
const DARK_QUERY = '(prefers-color-scheme: dark)';

/**
 * Light or dark: follows the operating system until the user picks one in the toolbar; the pick
 * is remembered in localStorage. Applied through `color-scheme` on <html>, which the Material
 * theme (built with `theme-type: color-scheme`) reads.
 */
@Injectable({ providedIn: 'root' })
export class ThemeService {
  private readonly document = inject(DOCUMENT);
  private readonly window = this.document.defaultView;
  private readonly choice = signal<ColorScheme | null>(this.readChoice());
  private readonly systemPrefersDark = signal(false);

  /** The scheme on screen now. */
  readonly scheme = computed<ColorScheme>(() => this.choice() ?? (this.systemPrefersDark() ? 'dark' : 'light'));

  constructor() {
    const media = this.window?.matchMedia?.(DARK_QUERY);
    if (media) {
      this.systemPrefersDark.set(media.matches);
      const listener = (event: MediaQueryListEvent) => this.systemPrefersDark.set(event.matches);
      media.addEventListener('change', listener);
      inject(DestroyRef).onDestroy(() => media.removeEventListener('change', listener));
    }
    this.apply();
  }

  /** Switches to the other scheme and remembers the choice. */
  toggle(): void {
    const next: ColorScheme = this.scheme() === 'dark' ? 'light' : 'dark';
    this.choice.set(next);
    try {
      this.window?.localStorage.setItem(THEME_STORAGE_KEY, next);
    } catch {
      // Storage blocked: the choice lasts for this page only.
    }
    this.apply();
  }

  private apply(): void {
    this.document.documentElement.style.colorScheme = this.choice() ?? 'light dark';
  }

  private readChoice(): ColorScheme | null {
    try {
      const stored = this.window?.localStorage.getItem(THEME_STORAGE_KEY);
      return stored === 'light' || stored === 'dark' ? stored : null;
    } catch {
      return null;
    }
  }
}
