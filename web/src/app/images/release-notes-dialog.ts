import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MAT_DIALOG_DATA, MatDialogModule, MatDialogRef } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { RELEASE_NOTES_MAX_LENGTH, type ImageDto } from '@rpi-deploy/contracts';
import { ImagesApi } from '../api/images-api';
import { apiErrorMessage } from '../http/api-error-message';
import { Notice } from '../shared/notice';
import { renderMarkdown } from './markdown';

export interface ReleaseNotesDialogData {
  image: ImageDto;
  canChange: boolean;
}

/** A version's release notes, rendered; maintainers edit the markdown beside the preview. */
@Component({
  selector: 'app-release-notes-dialog',
  imports: [FormsModule, MatButtonModule, MatDialogModule, MatFormFieldModule, MatInputModule, Notice],
  templateUrl: './release-notes-dialog.html',
  styleUrl: './release-dialogs.scss',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ReleaseNotesDialog {
  private readonly api = inject(ImagesApi);
  private readonly ref = inject<MatDialogRef<ReleaseNotesDialog, string | false>>(MatDialogRef);
  protected readonly data = inject<ReleaseNotesDialogData>(MAT_DIALOG_DATA);
  protected readonly maxLength = RELEASE_NOTES_MAX_LENGTH;
  protected readonly editing = signal(false);
  protected readonly text = signal(this.data.image.notes ?? '');
  protected readonly rendered = computed(() => renderMarkdown(this.text()));
  protected readonly saving = signal(false);
  protected readonly error = signal<string | null>(null);

  protected save(): void {
    this.saving.set(true);
    this.api.setNotes(this.data.image.id, this.text()).subscribe({
      // The saved text goes back to the page, which shows it before its list has reloaded.
      next: () => this.ref.close(this.text()),
      error: (error: unknown) => {
        this.saving.set(false);
        this.error.set(apiErrorMessage(error));
      },
    });
  }
}
