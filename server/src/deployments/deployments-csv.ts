import type { DeploymentDto } from '@rpi-deploy/contracts';

const COLUMNS: Array<[string, (d: DeploymentDto) => unknown]> = [
  ['id', (d) => d.id],
  ['started_at', (d) => d.startedAt],
  ['finished_at', (d) => d.finishedAt],
  ['status', (d) => d.status],
  ['hostname', (d) => d.hostname],
  ['product', (d) => d.product],
  ['venue', (d) => d.venue],
  ['serial', (d) => d.serial],
  ['mac', (d) => d.mac],
  ['ip', (d) => d.ip],
  ['model', (d) => d.model],
  ['image_version', (d) => d.imageVersion],
  ['progress', (d) => d.progress],
  ['bytes_total', (d) => d.bytesTotal],
  ['bytes_fetched', (d) => d.transfer?.bytesFetched],
  ['bytes_written', (d) => d.transfer?.bytesWritten],
  ['chunks_reused', (d) => d.transfer?.chunksReused],
  ['chunks_total', (d) => d.transfer?.chunksTotal],
  ['message', (d) => d.message],
  ['error', (d) => d.error],
];

/**
 * RFC 4180 CSV of deployments. Text that a spreadsheet would run as a formula (=, +, -, @ ...)
 * is prefixed with a quote, so an exported serial or message can never execute.
 */
export function deploymentsCsv(deployments: DeploymentDto[]): string {
  const lines = [COLUMNS.map(([name]) => name).join(',')];
  for (const deployment of deployments) lines.push(COLUMNS.map(([, value]) => cell(value(deployment))).join(','));
  return lines.join('\r\n') + '\r\n';
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
