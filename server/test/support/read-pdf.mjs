// Reads a PDF the way a person and a phone would: the text of each page (pdf.js), and each page
// rendered to pixels (pdf.js on @napi-rs/canvas) with every QR code on it decoded by jsQR.
// Run as its own process because pdf.js ships as ES modules only: `node read-pdf.mjs FILE`
// prints `[{ "text", "qr": [...] }]`, one entry per page.
import { readFileSync } from 'node:fs';
import process from 'node:process';
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';
import jsQR from 'jsqr';

const RENDER_SCALE = 6; // 62 mm at 6 x 72 dpi: about 1000 pixels across, 7+ pixels per QR module

const pdf = await getDocument({ data: new Uint8Array(readFileSync(process.argv[2])), verbosity: 0 }).promise;
const pages = [];
for (let number = 1; number <= pdf.numPages; number++) {
  const page = await pdf.getPage(number);
  const content = await page.getTextContent();
  const text = content.items
    .map((item) => item.str)
    .filter((s) => s.trim() !== '')
    .join('\n');
  const viewport = page.getViewport({ scale: RENDER_SCALE });
  const { canvas, context } = pdf.canvasFactory.create(Math.ceil(viewport.width), Math.ceil(viewport.height));
  context.fillStyle = 'white';
  context.fillRect(0, 0, canvas.width, canvas.height);
  await page.render({ canvas, canvasContext: context, viewport }).promise;
  const pixels = context.getImageData(0, 0, canvas.width, canvas.height);
  const found = jsQR(pixels.data, pixels.width, pixels.height);
  pages.push({ text, qr: found ? [found.data] : [] });
}
process.stdout.write(JSON.stringify(pages));
