import { ChangeDetectionStrategy, Component, inject, output, signal, viewChild } from '@angular/core';
import { FormGroupDirective, NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatSelectModule } from '@angular/material/select';
import {
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  PASSWORD_RULE,
  ROLES,
  USERNAME_PATTERN,
  type Role,
  type UserDto,
} from '@rpi-deploy/contracts';
import { UsersApi } from '../api/users-api';
import { apiErrorMessage } from '../http/api-error-message';
import { Notice } from '../shared/notice';

/** Creates a user with a role and a first password. */
@Component({
  selector: 'app-user-form',
  imports: [MatButtonModule, MatFormFieldModule, MatInputModule, MatSelectModule, Notice, ReactiveFormsModule],
  template: `
    <form [formGroup]="form" (ngSubmit)="submit()" novalidate aria-label="New user">
      <div class="form-row">
        <mat-form-field appearance="outline">
          <mat-label>New user name</mat-label>
          <input
            matInput
            formControlName="username"
            autocomplete="off"
            autocapitalize="none"
            spellcheck="false"
            required
          />
          @if (form.controls.username.invalid) {
            <mat-error>2-32 lower-case letters, digits, ".", "_" or "-", starting with a letter or digit.</mat-error>
          }
        </mat-form-field>
        <mat-form-field appearance="outline" subscriptSizing="dynamic">
          <mat-label>First password</mat-label>
          <input matInput type="password" formControlName="password" autocomplete="new-password" required />
          @if (form.controls.password.invalid) {
            <mat-error>At least {{ minLength }} characters.</mat-error>
          }
          <mat-hint>Use {{ passwordRule }}.</mat-hint>
        </mat-form-field>
        <mat-form-field appearance="outline">
          <mat-label>Role</mat-label>
          <mat-select formControlName="role" required>
            @for (role of roles; track role) {
              <mat-option [value]="role">{{ role }}</mat-option>
            }
          </mat-select>
        </mat-form-field>
      </div>
      @if (error(); as message) {
        <app-notice kind="error">{{ message }}</app-notice>
      }
      <button mat-flat-button type="submit" [disabled]="sending()">Create user</button>
    </form>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class UserForm {
  private readonly api = inject(UsersApi);
  readonly created = output<UserDto>();
  protected readonly roles = ROLES;
  protected readonly minLength = PASSWORD_MIN_LENGTH;
  protected readonly passwordRule = PASSWORD_RULE;
  private readonly formDirective = viewChild.required(FormGroupDirective);
  protected readonly sending = signal(false);
  protected readonly error = signal<string | null>(null);
  protected readonly form = inject(NonNullableFormBuilder).group({
    username: ['', [Validators.required, Validators.pattern(USERNAME_PATTERN)]],
    password: [
      '',
      [Validators.required, Validators.minLength(PASSWORD_MIN_LENGTH), Validators.maxLength(PASSWORD_MAX_LENGTH)],
    ],
    role: ['viewer' as Role, Validators.required],
  });

  protected submit(): void {
    if (this.sending()) return;
    if (this.form.invalid) {
      this.form.markAllAsTouched();
      return;
    }
    this.sending.set(true);
    this.error.set(null);
    this.api.create(this.form.getRawValue()).subscribe({
      next: (user) => {
        this.sending.set(false);
        // Through the directive, so the cleared fields do not show "required" errors.
        this.formDirective().resetForm({ username: '', password: '', role: 'viewer' });
        this.created.emit(user);
      },
      error: (error: unknown) => {
        this.sending.set(false);
        this.error.set(apiErrorMessage(error));
      },
    });
  }
}
