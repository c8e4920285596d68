import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export interface PdfPage {
  /** The page's text lines, as pdf.js extracts them. */
  text: string;
  /** What every QR code on the rendered page decodes to (jsQR). */
  qr: string[];
}

const READER = resolve(__dirname, 'read-pdf.mjs');

/** Reads a PDF's text and decodes its QR codes from the rendered pages (see read-pdf.mjs). */
export function readPdf(pdf: Buffer): Promise<PdfPage[]> {
  const dir = mkdtempSync(join(tmpdir(), 'read-pdf-'));
  const file = join(dir, 'input.pdf');
  writeFileSync(file, pdf);
  return new Promise<PdfPage[]>((done, fail) => {
    execFile(process.execPath, [READER, file], { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      rmSync(dir, { recursive: true, force: true });
      if (error) return fail(new Error(`read-pdf.mjs: ${stderr || error.message}`));
      done(JSON.parse(stdout) as PdfPage[]);
    });
  });
}
