import { DOCUMENT } from '@angular/common';
import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatIconModule } from '@angular/material/icon';
import { ActivatedRoute, type ParamMap } from '@angular/router';
import { LABEL_SIZE_MM, labelQrText, type UnitLabel } from '@rpi-deploy/contracts';
import { toDataURL } from 'qrcode';
import { LabelsApi, type LabelSelection } from '../api/labels-api';
import { apiErrorMessage } from '../http/api-error-message';
import { Notice } from '../shared/notice';
import { saveBlob } from '../shared/save-blob';

interface ShownLabel extends UnitLabel {
  /** The QR code as a PNG data URL (the page's CSP allows `data:` images). */
  qr: string;
}

/**
 * Printable unit labels, one 62 mm x 29 mm label per unit (LABEL_SIZE_MM: the print style gives
 * each its own page of that size), for `?batch=ID` or `?deployments=ID,ID`; the same labels as a
 * PDF from the server for printers whose driver prefers it.
 */
@Component({
  selector: 'app-labels-page',
  imports: [MatButtonModule, MatIconModule, Notice],
  templateUrl: './labels-page.html',
  styleUrl: './labels-page.scss',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class LabelsPage {
  private readonly api = inject(LabelsApi);
  private readonly document = inject(DOCUMENT);

  protected readonly size = LABEL_SIZE_MM;
  /** Read once: the links here come from other pages (Batches, the wall), each opening it anew. */
  private readonly selection = selectionOf(inject(ActivatedRoute).snapshot.queryParamMap);
  protected readonly title = !this.selection
    ? 'Labels'
    : 'batch' in this.selection
      ? `Labels of batch ${this.selection.batch}`
      : 'Labels of the chosen units';
  protected readonly labels = signal<ShownLabel[] | null>(null);
  protected readonly error = signal<string | null>(null);

  constructor() {
    const selection = this.selection;
    if (!selection) {
      this.error.set('Choose units first: open the labels of a batch on the Batches page, or of units on the wall.');
      return;
    }
    this.api.list(selection).subscribe({
      next: (labels) => void this.render(labels),
      error: (error: unknown) => this.error.set(apiErrorMessage(error)),
    });
  }

  protected print(): void {
    this.document.defaultView?.print();
  }

  protected downloadPdf(): void {
    const selection = this.selection;
    if (!selection) return;
    const name = 'batch' in selection ? `labels-batch-${selection.batch}.pdf` : 'labels.pdf';
    this.api.pdf(selection).subscribe({
      next: (blob) => saveBlob(this.document, blob, name),
      error: (error: unknown) => this.error.set(apiErrorMessage(error)),
    });
  }

  private async render(labels: UnitLabel[]): Promise<void> {
    // Error correction M, as on the PDF: readable with a quarter of the code scuffed.
    const shown = await Promise.all(
      labels.map(async (label) => ({
        ...label,
        qr: await toDataURL(labelQrText(label), { errorCorrectionLevel: 'M', margin: 4, width: 240 }),
      })),
    );
    this.labels.set(shown);
  }
}

/** `?batch=ID` or `?deployments=ID,ID` (what the Batches page and the wall link to). */
function selectionOf(params: ParamMap): LabelSelection | null {
  const batch = params.get('batch');
  if (batch) return { batch: Number(batch) };
  const ids = (params.get('deployments') ?? '').split(',').filter((id) => id !== '');
  return ids.length > 0 ? { deploymentIds: ids } : null;
}
