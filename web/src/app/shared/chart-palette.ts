import { computed, DOCUMENT, inject, Injectable } from '@angular/core';
import { ThemeService } from '../theme/theme.service';

/** Colours for charts, taken from the current Material theme so charts follow light and dark. */
export interface ChartPalette {
  text: string;
  grid: string;
  primary: string;
  success: string;
  failed: string;
  working: string;
}

/**
 * Canvas cannot read CSS variables, and the theme's variables hold `light-dark(...)` pairs, so
 * each colour is resolved by letting the browser compute it on a hidden probe element.
 */
@Injectable({ providedIn: 'root' })
export class ChartPaletteService {
  private readonly document = inject(DOCUMENT);
  private readonly theme = inject(ThemeService);

  readonly palette = computed<ChartPalette>(() => {
    this.theme.scheme();
    return {
      text: this.resolve('--mat-sys-on-surface-variant'),
      grid: this.resolve('--mat-sys-outline-variant'),
      primary: this.resolve('--mat-sys-primary'),
      success: this.resolve('--app-success'),
      failed: this.resolve('--mat-sys-error'),
      working: this.resolve('--mat-sys-tertiary'),
    };
  });

  private resolve(variable: string): string {
    const probe = this.document.createElement('span');
    probe.style.color = `var(${variable})`;
    probe.style.display = 'none';
    this.document.body.appendChild(probe);
    const color = this.document.defaultView?.getComputedStyle(probe).color || '#888';
    probe.remove();
    return color;
  }
}
