import { BreakpointObserver } from '@angular/cdk/layout';
import { ChangeDetectionStrategy, Component, computed, ElementRef, inject, viewChild } from '@angular/core';
import { takeUntilDestroyed, toSignal } from '@angular/core/rxjs-interop';
import { MatButtonModule } from '@angular/material/button';
import { MatIconModule } from '@angular/material/icon';
import { MatListModule } from '@angular/material/list';
import { MatSidenav, MatSidenavModule } from '@angular/material/sidenav';
import { MatToolbarModule } from '@angular/material/toolbar';
import { MatTooltipModule } from '@angular/material/tooltip';
import { RouterLink, RouterLinkActive, RouterOutlet } from '@angular/router';
import { map } from 'rxjs';
import { AuthService } from '../auth/auth.service';
import { ThemeService } from '../theme/theme.service';
import { NAV_ITEMS } from './nav-items';

/** Wide enough to keep the navigation open beside the page instead of over it. */
const WIDE_LAYOUT_QUERY = '(min-width: 960px)';

/** The signed-in frame around every page: toolbar, side navigation and the routed page. */
@Component({
  selector: 'app-shell',
  imports: [
    MatButtonModule,
    MatIconModule,
    MatListModule,
    MatSidenavModule,
    MatToolbarModule,
    MatTooltipModule,
    RouterLink,
    RouterLinkActive,
    RouterOutlet,
  ],
  templateUrl: './app-shell.html',
  styleUrl: './app-shell.scss',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class AppShell {
  protected readonly auth = inject(AuthService);
  protected readonly theme = inject(ThemeService);
  protected readonly navItems = computed(() => NAV_ITEMS.filter((item) => !item.role || this.auth.hasRole(item.role)));
  protected readonly isWide = toSignal(
    inject(BreakpointObserver)
      .observe(WIDE_LAYOUT_QUERY)
      .pipe(map((state) => state.matches)),
    { initialValue: true },
  );
  protected readonly themeToggleLabel = computed(() =>
    this.theme.scheme() === 'dark' ? 'Switch to light theme' : 'Switch to dark theme',
  );
  private readonly sidenav = viewChild.required(MatSidenav);
  private readonly main = viewChild.required<ElementRef<HTMLElement>>('main');

  constructor() {
    // Picks up a role changed since login; a token the server no longer accepts ends the session.
    this.auth
      .refreshUser()
      .pipe(takeUntilDestroyed())
      .subscribe({ error: () => undefined });
  }

  protected toggleNavigation(): void {
    void this.sidenav().toggle();
  }

  /** On narrow screens the navigation covers the page, so it closes once a page is picked. */
  protected closeNavigationIfOverlay(): void {
    if (!this.isWide()) void this.sidenav().close();
  }

  protected skipToMain(event: Event): void {
    event.preventDefault();
    this.main().nativeElement.focus();
  }

  protected logout(): void {
    this.auth.signOut();
  }
}
