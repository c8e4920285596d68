import Table from 'cli-table3';

/** Where commands write; tests capture it. */
export interface CliOutput {
  out(text: string): void;
  err(text: string): void;
}

export const processOutput: CliOutput = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
};

/** Rows as an aligned table, or as JSON with --json for scripts. */
export function printRows<T extends object>(
  output: CliOutput,
  rows: T[],
  columns: Array<[header: string, value: (row: T) => unknown]>,
  json: boolean,
): void {
  if (json) {
    output.out(JSON.stringify(rows, null, 2));
    return;
  }
  if (rows.length === 0) {
    output.out('(none)');
    return;
  }
  const table = new Table({ head: columns.map(([header]) => header), style: { head: [], border: [] } });
  for (const row of rows) table.push(columns.map(([, value]) => String(value(row) ?? '')));
  output.out(table.toString());
}
