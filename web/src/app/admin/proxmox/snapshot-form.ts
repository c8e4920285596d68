import { ChangeDetectionStrategy, Component, inject, output, signal } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { PROXMOX_SNAPSHOT_NAME_PATTERN, type ProxmoxSnapshotDto } from '@rpi-deploy/contracts';
import { apiErrorMessage } from '../../http/api-error-message';
import { Notice } from '../../shared/notice';
import { ProxmoxApi } from './proxmox-api';

/** Takes a snapshot of the server VM (disk only; the guest agent freezes the file systems briefly). */
@Component({
  selector: 'app-snapshot-form',
  imports: [MatButtonModule, MatFormFieldModule, MatInputModule, Notice, ReactiveFormsModule],
  template: `
    <form [formGroup]="form" (ngSubmit)="submit()" novalidate aria-label="New snapshot">
      <div class="form-row">
        <mat-form-field appearance="outline">
          <mat-label>Snapshot name</mat-label>
          <input matInput formControlName="name" autocomplete="off" spellcheck="false" required />
          @if (form.controls.name.invalid) {
            <mat-error>2-40 letters, digits or "_", starting with a letter (e.g. before_upgrade).</mat-error>
          }
        </mat-form-field>
        <mat-form-field appearance="outline">
          <mat-label>Description</mat-label>
          <input matInput formControlName="description" autocomplete="off" />
        </mat-form-field>
      </div>
      @if (error(); as message) {
        <app-notice kind="error">{{ message }}</app-notice>
      }
      <button mat-flat-button type="submit" [disabled]="sending()">
        {{ sending() ? 'Taking snapshot…' : 'Take snapshot' }}
      </button>
    </form>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class SnapshotForm {
  private readonly api = inject(ProxmoxApi);
  /** The snapshots after the new one was taken. */
  readonly taken = output<ProxmoxSnapshotDto[]>();
  protected readonly sending = signal(false);
  protected readonly error = signal<string | null>(null);
  protected readonly form = inject(NonNullableFormBuilder).group({
    name: ['', [Validators.required, Validators.pattern(PROXMOX_SNAPSHOT_NAME_PATTERN)]],
    description: ['', Validators.maxLength(500)],
  });

  protected submit(): void {
    if (this.form.invalid) {
      this.form.markAllAsTouched();
      return;
    }
    const { name, description } = this.form.getRawValue();
    this.sending.set(true);
    this.error.set(null);
    this.api.createSnapshot({ name, description: description || undefined }).subscribe({
      next: (snapshots) => {
        this.sending.set(false);
        this.form.reset();
        this.taken.emit(snapshots);
      },
      error: (error: unknown) => {
        this.sending.set(false);
        this.error.set(apiErrorMessage(error));
      },
    });
  }
}
