import type { DeploymentDto } from '@rpi-deploy/contracts';
import { toCsv, type CsvColumns } from '../csv/csv';

const COLUMNS: CsvColumns<DeploymentDto> = [
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
  ['boot', (d) => d.boot?.state],
  ['booted_at', (d) => d.bootedAt],
  ['seconds_to_boot', (d) => d.boot?.secondsToBoot],
  ['boot_hostname', (d) => d.boot?.hostname],
  ['message', (d) => d.message],
  ['error', (d) => d.error],
];

/** The deployments history as CSV (see toCsv for the escaping). */
export function deploymentsCsv(deployments: DeploymentDto[]): string {
  return toCsv(COLUMNS, deployments);
}
