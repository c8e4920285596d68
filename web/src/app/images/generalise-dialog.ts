import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatCheckboxModule } from '@angular/material/checkbox';
import { MAT_DIALOG_DATA, MatDialogModule, MatDialogRef } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { IMAGE_VERSION_PATTERN, type GeneralisePlanDto, type ImageDto } from '@rpi-deploy/contracts';
import { ImagesApi } from '../api/images-api';
import { formatSize } from '../format/units';
import { apiErrorMessage } from '../http/api-error-message';
import { Notice } from '../shared/notice';

/**
 * Generalise a version: shows what is always cleared, lets the maintainer tick the other
 * unit-specific items to clear, and stores the copy as a new version. Closes with that version.
 */
@Component({
  selector: 'app-generalise-dialog',
  imports: [
    FormsModule,
    MatButtonModule,
    MatCheckboxModule,
    MatDialogModule,
    MatFormFieldModule,
    MatInputModule,
    MatProgressBarModule,
    Notice,
  ],
  templateUrl: './generalise-dialog.html',
  styleUrl: './release-dialogs.scss',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class GeneraliseDialog {
  private readonly api = inject(ImagesApi);
  private readonly ref = inject<MatDialogRef<GeneraliseDialog, ImageDto>>(MatDialogRef);
  protected readonly image = inject<ImageDto>(MAT_DIALOG_DATA);
  protected readonly bytes = formatSize;
  protected readonly plan = signal<GeneralisePlanDto | null>(null);
  protected readonly chosen = signal<ReadonlySet<string>>(new Set());
  protected readonly version = signal(`${this.image.version}-g`.slice(0, 64));
  protected readonly versionValid = computed(() => IMAGE_VERSION_PATTERN.test(this.version()));
  protected readonly working = signal(false);
  protected readonly error = signal<string | null>(null);

  constructor() {
    this.api.generalisePlan(this.image.id).subscribe({
      next: (plan) => this.plan.set(plan),
      error: (error: unknown) => this.error.set(apiErrorMessage(error)),
    });
  }

  protected toggle(path: string, checked: boolean): void {
    this.chosen.update((chosen) => {
      const next = new Set(chosen);
      if (checked) next.add(path);
      else next.delete(path);
      return next;
    });
  }

  protected generalise(): void {
    this.working.set(true);
    this.error.set(null);
    this.api.generalise(this.image.id, { version: this.version(), clear: [...this.chosen()] }).subscribe({
      next: (stored) => this.ref.close(stored),
      error: (error: unknown) => {
        this.working.set(false);
        this.error.set(apiErrorMessage(error));
      },
    });
  }
}
