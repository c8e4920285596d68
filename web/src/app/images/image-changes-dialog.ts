import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MAT_DIALOG_DATA, MatDialogModule } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatSelectModule } from '@angular/material/select';
import type { ImageChangesDto, ImageDto } from '@rpi-deploy/contracts';
import { ImagesApi } from '../api/images-api';
import { formatSize } from '../format/units';
import { apiErrorMessage } from '../http/api-error-message';
import { Notice } from '../shared/notice';

export interface ImageChangesDialogData {
  image: ImageDto;
  /** The other versions of the product, newest first: what the image can be compared with. */
  others: ImageDto[];
}

/** What changed from another version to this one: size, chunks shared, packages. */
@Component({
  selector: 'app-image-changes-dialog',
  imports: [MatButtonModule, MatDialogModule, MatFormFieldModule, MatProgressBarModule, MatSelectModule, Notice],
  templateUrl: './image-changes-dialog.html',
  styleUrl: './release-dialogs.scss',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ImageChangesDialog {
  private readonly api = inject(ImagesApi);
  protected readonly data = inject<ImageChangesDialogData>(MAT_DIALOG_DATA);
  protected readonly bytes = formatSize;
  protected readonly from = signal<number | null>(null);
  protected readonly changes = signal<ImageChangesDto | null>(null);
  protected readonly loading = signal(false);
  protected readonly error = signal<string | null>(null);

  constructor() {
    // The version uploaded just before, if any; else the newest other one.
    const older = this.data.others.find((other) => other.id < this.data.image.id) ?? this.data.others[0];
    if (older) this.compareWith(older.id);
  }

  protected compareWith(from: number): void {
    this.from.set(from);
    this.loading.set(true);
    this.changes.set(null);
    this.api.changes(this.data.image.id, from).subscribe({
      next: (changes) => {
        this.loading.set(false);
        this.error.set(null);
        this.changes.set(changes);
      },
      error: (error: unknown) => {
        this.loading.set(false);
        this.error.set(apiErrorMessage(error));
      },
    });
  }
}
