import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MAT_DIALOG_DATA, MatDialogModule, MatDialogRef } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { VENUE_CODE_PATTERN, type VenueDto } from '@rpi-deploy/contracts';
import type { Observable } from 'rxjs';
import { VenuesApi } from '../api/venues-api';
import { apiErrorMessage } from '../http/api-error-message';
import { Notice } from '../shared/notice';

/** Null to create a venue, else the venue to edit. */
export type VenueFormData = VenueDto | null;

const NOT_BLANK = /\S/;

/** Creates or edits a venue; closes with the saved venue. */
@Component({
  selector: 'app-venue-form-dialog',
  imports: [MatButtonModule, MatDialogModule, MatFormFieldModule, MatInputModule, Notice, ReactiveFormsModule],
  templateUrl: './venue-form-dialog.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class VenueFormDialog {
  private readonly api = inject(VenuesApi);
  private readonly dialogRef = inject<MatDialogRef<VenueFormDialog, VenueDto>>(MatDialogRef);
  protected readonly venue = inject<VenueFormData>(MAT_DIALOG_DATA);
  protected readonly saving = signal(false);
  protected readonly error = signal<string | null>(null);
  protected readonly form = inject(NonNullableFormBuilder).group({
    code: [
      { value: this.venue?.code ?? '', disabled: this.venue !== null },
      [Validators.required, Validators.pattern(VENUE_CODE_PATTERN)],
    ],
    name: [this.venue?.name ?? '', [Validators.required, Validators.pattern(NOT_BLANK), Validators.maxLength(120)]],
    location: [this.venue?.location ?? '', [Validators.maxLength(200)]],
    contactEmail: [this.venue?.contactEmail ?? '', [Validators.email, Validators.maxLength(254)]],
  });

  protected save(): void {
    if (this.saving()) return;
    if (this.form.invalid) {
      this.form.markAllAsTouched();
      return;
    }
    const { code, name, location, contactEmail } = this.form.getRawValue();
    const details = { name: name.trim(), location: location.trim(), contactEmail: contactEmail.trim() };
    const request: Observable<VenueDto> = this.venue
      ? this.api.update(this.venue.code, details)
      : this.api.create({
          code: code.toUpperCase(),
          name: details.name,
          ...(details.location ? { location: details.location } : {}),
          ...(details.contactEmail ? { contactEmail: details.contactEmail } : {}),
        });
    this.saving.set(true);
    this.error.set(null);
    request.subscribe({
      next: (saved) => this.dialogRef.close(saved),
      error: (error: unknown) => {
        this.saving.set(false);
        this.error.set(apiErrorMessage(error));
      },
    });
  }
}
