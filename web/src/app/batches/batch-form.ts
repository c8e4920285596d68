import { ChangeDetectionStrategy, Component, inject, input, output, signal } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatSelectModule } from '@angular/material/select';
import {
  BATCH_COUNT_MAX,
  BATCH_PRIORITY_MAX,
  BATCH_PRIORITY_MIN,
  PRODUCT_CODES,
  PRODUCT_NAMES,
  type BatchDto,
  type ProductCode,
  type VenueDto,
} from '@rpi-deploy/contracts';
import { BatchesApi } from '../api/batches-api';
import { apiErrorMessage } from '../http/api-error-message';
import { Notice } from '../shared/notice';

/** Creates a batch: which venue, which product, how many units, and its priority over other batches. */
@Component({
  selector: 'app-batch-form',
  imports: [MatButtonModule, MatFormFieldModule, MatInputModule, MatSelectModule, Notice, ReactiveFormsModule],
  templateUrl: './batch-form.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class BatchForm {
  private readonly api = inject(BatchesApi);
  readonly venues = input.required<VenueDto[]>();
  readonly created = output<BatchDto>();

  protected readonly products = PRODUCT_CODES;
  protected readonly productNames = PRODUCT_NAMES;
  protected readonly limits = {
    countMax: BATCH_COUNT_MAX,
    priorityMin: BATCH_PRIORITY_MIN,
    priorityMax: BATCH_PRIORITY_MAX,
  };
  protected readonly sending = signal(false);
  protected readonly error = signal<string | null>(null);
  protected readonly form = inject(NonNullableFormBuilder).group({
    venue: ['', Validators.required],
    product: ['KXP2' as ProductCode, Validators.required],
    count: [10, [Validators.required, Validators.min(1), Validators.max(BATCH_COUNT_MAX), Validators.pattern(/^\d+$/)]],
    priority: [
      0,
      [
        Validators.required,
        Validators.min(BATCH_PRIORITY_MIN),
        Validators.max(BATCH_PRIORITY_MAX),
        Validators.pattern(/^-?\d+$/),
      ],
    ],
  });

  protected submit(): void {
    if (this.sending()) return;
    if (this.form.invalid) {
      this.form.markAllAsTouched();
      return;
    }
    const { venue, product, count, priority } = this.form.getRawValue();
    this.sending.set(true);
    this.error.set(null);
    this.api.create({ venue, product, count: Number(count), priority: Number(priority) }).subscribe({
      next: (batch) => {
        this.sending.set(false);
        this.created.emit(batch);
      },
      error: (error: unknown) => {
        this.sending.set(false);
        this.error.set(apiErrorMessage(error));
      },
    });
  }
}
