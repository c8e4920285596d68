import {
  ChangeDetectionStrategy,
  Component,
  computed,
  DestroyRef,
  inject,
  output,
  signal,
  viewChild,
} from '@angular/core';
import { FormGroupDirective, NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatSelectModule } from '@angular/material/select';
import {
  IMAGE_VERSION_PATTERN,
  PRODUCT_CODES,
  PRODUCT_NAMES,
  type ImageDto,
  type ProductCode,
} from '@rpi-deploy/contracts';
import type { Subscription } from 'rxjs';
import { ImagesApi } from '../api/images-api';
import { etaSeconds, formatDuration, formatRate, formatSize } from '../format/units';
import { apiErrorMessage } from '../http/api-error-message';
import { Notice } from '../shared/notice';

interface Sending {
  loaded: number;
  total: number;
  startedAt: number;
  now: number;
}

/**
 * Uploads a master image (raw or compressed, possibly several GB) with a progress bar that can
 * be cancelled; the server checks and describes the image while it arrives.
 */
@Component({
  selector: 'app-image-upload-form',
  imports: [
    MatButtonModule,
    MatFormFieldModule,
    MatInputModule,
    MatProgressBarModule,
    MatSelectModule,
    Notice,
    ReactiveFormsModule,
  ],
  templateUrl: './image-upload-form.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ImageUploadForm {
  private readonly api = inject(ImagesApi);
  readonly uploaded = output<ImageDto>();

  protected readonly products = PRODUCT_CODES;
  protected readonly productNames = PRODUCT_NAMES;
  protected readonly file = signal<File | null>(null);
  protected readonly fileError = signal<string | null>(null);
  protected readonly sending = signal<Sending | null>(null);
  protected readonly error = signal<string | null>(null);
  protected readonly done = signal<ImageDto | null>(null);
  protected readonly form = inject(NonNullableFormBuilder).group({
    product: ['KXP2' as ProductCode, Validators.required],
    version: ['', [Validators.required, Validators.pattern(IMAGE_VERSION_PATTERN)]],
    description: ['', Validators.maxLength(500)],
  });
  protected readonly percent = computed(() => {
    const sending = this.sending();
    return sending && sending.total > 0 ? Math.floor((sending.loaded / sending.total) * 100) : 0;
  });
  /** Every byte sent: the server is still checksumming and mapping the last of it. */
  protected readonly checking = computed(() => {
    const sending = this.sending();
    return sending !== null && sending.loaded >= sending.total;
  });
  protected readonly detail = computed(() => {
    const sending = this.sending();
    if (!sending) return '';
    const seconds = (sending.now - sending.startedAt) / 1000;
    const rate = seconds > 0 ? sending.loaded / seconds : null;
    const eta = etaSeconds(sending.total - sending.loaded, rate);
    return `${formatSize(sending.loaded)} of ${formatSize(sending.total)} · ${formatRate(rate)} · ${formatDuration(eta)} left`;
  });
  private upload: Subscription | null = null;
  private readonly formDirective = viewChild.required(FormGroupDirective);

  constructor() {
    inject(DestroyRef).onDestroy(() => this.upload?.unsubscribe());
  }

  protected pickFile(event: Event): void {
    const input = event.target as HTMLInputElement;
    const file = input.files?.[0] ?? null;
    this.file.set(file);
    this.fileError.set(file && file.size === 0 ? 'The file is empty.' : null);
  }

  protected submit(): void {
    if (this.sending()) return;
    const file = this.file();
    if (!file) this.fileError.set('Choose the image file to upload.');
    if (this.form.invalid || !file || this.fileError()) {
      this.form.markAllAsTouched();
      return;
    }
    const { product, version, description } = this.form.getRawValue();
    const startedAt = Date.now();
    this.error.set(null);
    this.done.set(null);
    this.sending.set({ loaded: 0, total: file.size, startedAt, now: startedAt });
    this.form.disable();
    this.upload = this.api.upload({ product, version, description: description.trim() || undefined }, file).subscribe({
      next: (state) => {
        if (state.kind === 'sending') {
          this.sending.set({ loaded: state.loaded, total: state.total ?? file.size, startedAt, now: Date.now() });
          return;
        }
        this.finish();
        this.done.set(state.image);
        // Through the directive, so the cleared fields do not show "required" errors.
        this.formDirective().resetForm({ product, version: '', description: '' });
        this.uploaded.emit(state.image);
      },
      error: (error: unknown) => {
        this.finish();
        this.error.set(apiErrorMessage(error));
      },
    });
  }

  /** Stops sending: the browser aborts the request and the server discards what it received. */
  protected cancel(): void {
    this.upload?.unsubscribe();
    this.finish();
    this.error.set('Upload cancelled.');
  }

  private finish(): void {
    this.upload = null;
    this.sending.set(null);
    this.form.enable();
  }
}
