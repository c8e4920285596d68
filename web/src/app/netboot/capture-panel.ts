import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatSelectModule } from '@angular/material/select';
import {
  IMAGE_VERSION_PATTERN,
  PRODUCT_CODES,
  SERIAL_PATTERN,
  type CaptureMarkDto,
  type ProductCode,
} from '@rpi-deploy/contracts';
import { NetbootApi } from '../api/netboot-api';
import { AuthService } from '../auth/auth.service';
import { apiErrorMessage } from '../http/api-error-message';
import { Loadable } from '../http/loadable';
import { Notice } from '../shared/notice';

/**
 * Capture: mark a unit so its next netboot reads its card (never writing to it) and stores it
 * as a new image version; the Images page shows the upload as it comes in.
 */
@Component({
  selector: 'app-capture-panel',
  imports: [
    DatePipe,
    MatButtonModule,
    MatFormFieldModule,
    MatInputModule,
    MatSelectModule,
    Notice,
    ReactiveFormsModule,
  ],
  template: `
    @if (canMark()) {
      <form [formGroup]="form" (ngSubmit)="mark()" novalidate aria-label="Capture a unit's card">
        <div class="form-row">
          <mat-form-field appearance="outline">
            <mat-label>Serial</mat-label>
            <input matInput formControlName="serial" autocomplete="off" spellcheck="false" required />
            @if (form.controls.serial.invalid) {
              <mat-error>8-16 hex digits.</mat-error>
            }
          </mat-form-field>
          <mat-form-field appearance="outline">
            <mat-label>Product</mat-label>
            <mat-select formControlName="product">
              @for (product of products; track product) {
                <mat-option [value]="product">{{ product }}</mat-option>
              }
            </mat-select>
          </mat-form-field>
          <mat-form-field appearance="outline">
            <mat-label>New version</mat-label>
            <input matInput formControlName="version" autocomplete="off" spellcheck="false" required />
            @if (form.controls.version.invalid) {
              <mat-error>Letters, digits, ".", "_", "+" or "-" (e.g. 1.5.0).</mat-error>
            }
          </mat-form-field>
        </div>
        @if (error(); as message) {
          <app-notice kind="error">{{ message }}</app-notice>
        }
        <button mat-flat-button type="submit" [disabled]="sending()">Capture this unit's card</button>
      </form>
    }
    @if (marks.value(); as list) {
      <ul class="marks" aria-label="Units marked for capture">
        @for (mark of list; track mark.serial) {
          <li>
            Unit <span class="mono">{{ mark.serial }}</span> captures its card as {{ mark.product }}
            {{ mark.version }} on its next netboot (marked by {{ mark.markedBy }}, {{ mark.markedAt | date: 'short' }})
            @if (canMark()) {
              <button mat-button type="button" (click)="clear(mark)">Cancel capture of {{ mark.serial }}</button>
            }
          </li>
        } @empty {
          <li class="muted">No unit is marked for capture.</li>
        }
      </ul>
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class CapturePanel {
  private readonly api = inject(NetbootApi);
  private readonly auth = inject(AuthService);
  protected readonly products = PRODUCT_CODES;
  protected readonly canMark = computed(() => this.auth.hasRole('operator'));
  protected readonly marks = new Loadable<CaptureMarkDto[] | null>(() => this.api.captures(), null);
  protected readonly sending = signal(false);
  protected readonly error = signal<string | null>(null);
  protected readonly form = inject(NonNullableFormBuilder).group({
    serial: ['', [Validators.required, Validators.pattern(SERIAL_PATTERN)]],
    product: ['KXP2' as ProductCode, Validators.required],
    version: ['', [Validators.required, Validators.pattern(IMAGE_VERSION_PATTERN)]],
  });

  constructor() {
    this.marks.reload();
  }

  protected mark(): void {
    if (this.form.invalid) {
      this.form.markAllAsTouched();
      return;
    }
    const { serial, product, version } = this.form.getRawValue();
    this.sending.set(true);
    this.error.set(null);
    this.api.markCapture(serial, { product, version }).subscribe({
      next: () => {
        this.sending.set(false);
        this.form.reset();
        this.marks.reload();
      },
      error: (error: unknown) => {
        this.sending.set(false);
        this.error.set(apiErrorMessage(error));
      },
    });
  }

  protected clear(mark: CaptureMarkDto): void {
    this.error.set(null);
    this.api.clearCapture(mark.serial).subscribe({
      next: () => this.marks.reload(),
      error: (error: unknown) => this.error.set(apiErrorMessage(error)),
    });
  }
}
