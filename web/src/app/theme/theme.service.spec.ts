import { TestBed } from '@angular/core/testing';
import { THEME_STORAGE_KEY, ThemeService } from './theme.service';

describe('ThemeService', () => {
  let systemPrefersDark: boolean;
  let changeListener: ((event: MediaQueryListEvent) => void) | undefined;

  beforeEach(() => {
    localStorage.clear();
    document.documentElement.style.colorScheme = '';
    systemPrefersDark = false;
    changeListener = undefined;
    Object.defineProperty(window, 'matchMedia', {
      configurable: true,
      value: (query: string) => ({
        media: query,
        matches: systemPrefersDark,
        addEventListener: (_type: string, listener: (event: MediaQueryListEvent) => void) =>
          (changeListener = listener),
        removeEventListener: () => undefined,
      }),
    });
  });

  afterEach(() => {
    delete (window as Partial<Window>).matchMedia;
  });

  it('follows the operating system until the user chooses', () => {
    systemPrefersDark = true;
    const theme = TestBed.inject(ThemeService);

    expect(theme.scheme()).toBe('dark');
    expect(document.documentElement.style.colorScheme).toBe('light dark');

    changeListener?.({ matches: false } as MediaQueryListEvent);
    expect(theme.scheme()).toBe('light');
  });

  it('toggles to the other scheme, applies it to <html> and remembers it', () => {
    const theme = TestBed.inject(ThemeService);

    theme.toggle();
    expect(theme.scheme()).toBe('dark');
    expect(document.documentElement.style.colorScheme).toBe('dark');
    expect(localStorage.getItem(THEME_STORAGE_KEY)).toBe('dark');

    theme.toggle();
    expect(theme.scheme()).toBe('light');
    expect(document.documentElement.style.colorScheme).toBe('light');
    expect(localStorage.getItem(THEME_STORAGE_KEY)).toBe('light');
  });

  it('applies a stored choice at start, whatever the operating system prefers', () => {
    systemPrefersDark = true;
    localStorage.setItem(THEME_STORAGE_KEY, 'light');

    const theme = TestBed.inject(ThemeService);

    expect(theme.scheme()).toBe('light');
    expect(document.documentElement.style.colorScheme).toBe('light');
  });

  it('ignores a stored value it does not know', () => {
    localStorage.setItem(THEME_STORAGE_KEY, 'purple');

    TestBed.inject(ThemeService);

    expect(document.documentElement.style.colorScheme).toBe('light dark');
  });
});
