import PDFDocument from 'pdfkit';
import { create as createQrCode } from 'qrcode';
import { LABEL_SIZE_MM, labelQrText, type UnitLabel } from '@rpi-deploy/contracts';

const POINTS_PER_MM = 72 / 25.4;
const mm = (millimetres: number) => millimetres * POINTS_PER_MM;

const PAGE = { width: mm(LABEL_SIZE_MM.width), height: mm(LABEL_SIZE_MM.height) };
const MARGIN = mm(2);
/** The QR code fills the label's height; its quiet zone (4 modules, as the standard asks) is inside. */
const QR_SIDE = PAGE.height - 2 * MARGIN;
const QR_QUIET_MODULES = 4;
const TEXT_LEFT = MARGIN + QR_SIDE + mm(1.5);
const TEXT_WIDTH = PAGE.width - TEXT_LEFT - MARGIN;

/**
 * The labels as a PDF, one label-sized page per unit (a label printer's driver prints one page
 * per label). pdfkit's built-in fonts keep the text extractable; the QR code is drawn as vector
 * squares, sharp at any printer resolution.
 */
export function labelsPdf(labels: UnitLabel[], title: string): Promise<Buffer> {
  const doc = new PDFDocument({
    size: [PAGE.width, PAGE.height],
    margin: 0,
    autoFirstPage: false,
    info: { Title: title },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  for (const label of labels) {
    doc.addPage();
    drawQrCode(doc, labelQrText(label), MARGIN, MARGIN, QR_SIDE);
    drawText(doc, label);
  }
  doc.end();
  return done;
}

function drawQrCode(doc: PDFKit.PDFDocument, text: string, x: number, y: number, side: number): void {
  const { modules } = createQrCode(text, { errorCorrectionLevel: 'M' });
  const module = side / (modules.size + 2 * QR_QUIET_MODULES);
  const origin = { x: x + QR_QUIET_MODULES * module, y: y + QR_QUIET_MODULES * module };
  for (let row = 0; row < modules.size; row++) {
    for (let column = 0; column < modules.size; column++) {
      if (modules.get(row, column)) doc.rect(origin.x + column * module, origin.y + row * module, module, module);
    }
  }
  doc.fillColor('black').fill();
}

function drawText(doc: PDFKit.PDFDocument, label: UnitLabel): void {
  let y = MARGIN + mm(2);
  y = line(doc, label.hostname, 'Helvetica-Bold', 10, y) + mm(2);
  y = line(doc, label.serial, 'Courier', 7, y) + mm(1);
  line(doc, label.mac, 'Courier', 7, y);
}

/** One line of text at `size` points, smaller when it would not fit the width; returns the y below it. */
function line(doc: PDFKit.PDFDocument, text: string, font: string, size: number, y: number): number {
  doc.font(font).fontSize(size);
  const fitted = Math.min(size, (size * TEXT_WIDTH) / doc.widthOfString(text));
  doc.fontSize(fitted).fillColor('black').text(text, TEXT_LEFT, y, { lineBreak: false });
  return y + doc.currentLineHeight();
}
