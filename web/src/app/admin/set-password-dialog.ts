import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MAT_DIALOG_DATA, MatDialogModule, MatDialogRef } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, PASSWORD_RULE } from '@rpi-deploy/contracts';
import { UsersApi } from '../api/users-api';
import { apiErrorMessage } from '../http/api-error-message';
import { Notice } from '../shared/notice';

/** Sets another user's password; the server ends that user's sessions. Closes with true when set. */
@Component({
  selector: 'app-set-password-dialog',
  imports: [MatButtonModule, MatDialogModule, MatFormFieldModule, MatInputModule, Notice, ReactiveFormsModule],
  template: `
    <h2 mat-dialog-title>New password for {{ username }}</h2>
    <form [formGroup]="form" (ngSubmit)="save()" novalidate>
      <mat-dialog-content>
        <p>{{ username }} is signed out everywhere and logs in with the new password.</p>
        @if (error(); as message) {
          <app-notice kind="error">{{ message }}</app-notice>
        }
        <mat-form-field appearance="outline" subscriptSizing="dynamic">
          <mat-label>New password</mat-label>
          <input matInput type="password" formControlName="password" autocomplete="new-password" required />
          @if (form.controls.password.invalid) {
            <mat-error>At least {{ minLength }} characters.</mat-error>
          }
          <mat-hint>Use {{ passwordRule }}.</mat-hint>
        </mat-form-field>
      </mat-dialog-content>
      <mat-dialog-actions align="end">
        <button mat-button type="button" mat-dialog-close>Cancel</button>
        <button mat-flat-button type="submit" [disabled]="saving()">Set password</button>
      </mat-dialog-actions>
    </form>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class SetPasswordDialog {
  private readonly api = inject(UsersApi);
  private readonly dialogRef = inject<MatDialogRef<SetPasswordDialog, boolean>>(MatDialogRef);
  protected readonly username = inject<string>(MAT_DIALOG_DATA);
  protected readonly minLength = PASSWORD_MIN_LENGTH;
  protected readonly passwordRule = PASSWORD_RULE;
  protected readonly saving = signal(false);
  protected readonly error = signal<string | null>(null);
  protected readonly form = inject(NonNullableFormBuilder).group({
    password: [
      '',
      [Validators.required, Validators.minLength(PASSWORD_MIN_LENGTH), Validators.maxLength(PASSWORD_MAX_LENGTH)],
    ],
  });

  protected save(): void {
    if (this.saving()) return;
    if (this.form.invalid) {
      this.form.markAllAsTouched();
      return;
    }
    this.saving.set(true);
    this.api.setPassword(this.username, this.form.getRawValue().password).subscribe({
      next: () => this.dialogRef.close(true),
      error: (error: unknown) => {
        this.saving.set(false);
        this.error.set(apiErrorMessage(error));
      },
    });
  }
}
