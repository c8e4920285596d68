import { ChangeDetectionStrategy, Component, inject, input, output, signal } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatButtonToggleModule } from '@angular/material/button-toggle';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { KART_NUMBER_MAX, KART_NUMBER_MIN, type KartImportRequest, type KartImportResult } from '@rpi-deploy/contracts';
import { VenuesApi } from '../api/venues-api';
import { apiErrorMessage } from '../http/api-error-message';
import { Notice } from '../shared/notice';
import { parseKartList } from './kart-list';

type ImportMode = 'range' | 'list';

/** Adds kart numbers to a venue's pool, as a range or a pasted list; numbers already there are skipped. */
@Component({
  selector: 'app-kart-import-form',
  imports: [MatButtonModule, MatButtonToggleModule, MatFormFieldModule, MatInputModule, Notice, ReactiveFormsModule],
  templateUrl: './kart-import-form.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class KartImportForm {
  private readonly api = inject(VenuesApi);
  readonly venueCode = input.required<string>();
  readonly imported = output<KartImportResult>();

  protected readonly min = KART_NUMBER_MIN;
  protected readonly max = KART_NUMBER_MAX;
  protected readonly mode = signal<ImportMode>('range');
  protected readonly sending = signal(false);
  protected readonly error = signal<string | null>(null);
  protected readonly result = signal<KartImportResult | null>(null);
  private readonly numberField = [
    Validators.required,
    Validators.min(KART_NUMBER_MIN),
    Validators.max(KART_NUMBER_MAX),
  ];
  protected readonly form = inject(NonNullableFormBuilder).group({
    from: [1, this.numberField],
    to: [20, this.numberField],
    list: [''],
  });

  protected submit(): void {
    if (this.sending()) return;
    const request = this.request();
    if (!request) return;
    this.sending.set(true);
    this.error.set(null);
    this.result.set(null);
    this.api.importKarts(this.venueCode(), request).subscribe({
      next: (result) => {
        this.sending.set(false);
        this.result.set(result);
        this.imported.emit(result);
      },
      error: (error: unknown) => {
        this.sending.set(false);
        this.error.set(apiErrorMessage(error));
      },
    });
  }

  /** The request body, or null after showing why the input cannot be sent. */
  private request(): KartImportRequest | null {
    const { from, to, list } = this.form.getRawValue();
    if (this.mode() === 'list') {
      const parsed = parseKartList(list);
      if ('error' in parsed) {
        this.error.set(parsed.error);
        return null;
      }
      return { numbers: parsed.numbers };
    }
    if (this.form.controls.from.invalid || this.form.controls.to.invalid) {
      this.form.markAllAsTouched();
      return null;
    }
    if (from > to) {
      this.error.set(`"From" (${from}) must not be greater than "to" (${to}).`);
      return null;
    }
    return { from, to };
  }
}
