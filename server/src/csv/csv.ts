/** A CSV column: its header and how to read its cell from a row. */
export type CsvColumns<T> = ReadonlyArray<readonly [string, (row: T) => unknown]>;

/**
 * RFC 4180 CSV, CRLF line ends, one header line. Text that a spreadsheet would run as a formula
 * (=, +, -, @ ...) is prefixed with a quote, so an exported value can never execute.
 */
export function toCsv<T>(columns: CsvColumns<T>, rows: readonly T[]): string {
  const lines = [columns.map(([name]) => name).join(',')];
  for (const row of rows) lines.push(columns.map(([, value]) => cell(value(row))).join(','));
  return lines.join('\r\n') + '\r\n';
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
