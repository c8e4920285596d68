import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatDialog } from '@angular/material/dialog';
import { MatIconModule } from '@angular/material/icon';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatSnackBar } from '@angular/material/snack-bar';
import { MatTableModule } from '@angular/material/table';
import { MatTooltipModule } from '@angular/material/tooltip';
import { RouterLink } from '@angular/router';
import type { VenueDto } from '@rpi-deploy/contracts';
import { filter, switchMap } from 'rxjs';
import { VenuesApi } from '../api/venues-api';
import { AuthService } from '../auth/auth.service';
import { apiErrorMessage } from '../http/api-error-message';
import { Loadable } from '../http/loadable';
import { confirmAction } from '../shared/confirm-dialog';
import { Notice } from '../shared/notice';
import { VenueFormDialog, type VenueFormData } from './venue-form-dialog';

@Component({
  selector: 'app-venues-page',
  imports: [MatButtonModule, MatIconModule, MatProgressBarModule, MatTableModule, MatTooltipModule, Notice, RouterLink],
  templateUrl: './venues-page.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class VenuesPage {
  private readonly api = inject(VenuesApi);
  private readonly dialog = inject(MatDialog);
  private readonly snackBar = inject(MatSnackBar);
  private readonly auth = inject(AuthService);

  protected readonly canChange = computed(() => this.auth.hasRole('operator'));
  protected readonly venues = new Loadable<VenueDto[]>(() => this.api.list(), []);
  /** Why the last deletion failed. */
  protected readonly actionError = signal<string | null>(null);
  protected readonly columns = computed(() => [
    'code',
    'name',
    'location',
    'pool',
    ...(this.canChange() ? ['actions'] : []),
  ]);

  constructor() {
    this.venues.reload();
  }

  protected openForm(venue: VenueDto | null): void {
    this.dialog
      .open<VenueFormDialog, VenueFormData, VenueDto>(VenueFormDialog, { data: venue, width: '480px' })
      .afterClosed()
      .pipe(filter((saved): saved is VenueDto => saved !== undefined))
      .subscribe((saved) => {
        this.actionError.set(null);
        this.snackBar.open(`Venue ${saved.code} saved`, 'OK', { duration: 4000 });
        this.venues.reload();
      });
  }

  protected remove(venue: VenueDto): void {
    confirmAction(this.dialog, {
      title: `Delete venue ${venue.code}?`,
      message: `${venue.name} and its kart pool will be deleted. Venues with assigned hostnames or open batches cannot be deleted.`,
      confirmLabel: 'Delete',
    })
      .pipe(
        filter(Boolean),
        switchMap(() => this.api.remove(venue.code)),
      )
      .subscribe({
        next: () => {
          this.actionError.set(null);
          this.snackBar.open(`Venue ${venue.code} deleted`, 'OK', { duration: 4000 });
          this.venues.reload();
        },
        error: (error: unknown) => this.actionError.set(apiErrorMessage(error)),
      });
  }
}
