import type { DeploymentDto } from '@rpi-deploy/contracts';

/** The moment the test units started; `at(seconds)` is a report time that many seconds later. */
export const T0 = Date.parse('2026-11-26T10:00:00.000Z');
export const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

/** A complete deployment view as the API sends it, for dashboard tests: a unit that just started. */
export function deploymentDto(overrides: Partial<DeploymentDto> = {}): DeploymentDto {
  return {
    id: 'd1',
    status: 'starting',
    hostname: 'KXP2-CORO-001',
    product: 'KXP2',
    venue: 'CORO',
    serial: '10000000abc12345',
    mac: 'd8:3a:dd:00:00:01',
    ip: '10.0.0.10',
    model: null,
    storageBytes: null,
    imageId: 1,
    imageVersion: '1.0.0',
    progress: 0,
    bytesDone: null,
    bytesTotal: null,
    throughput: {},
    transfer: null,
    bytesFromServer: null,
    bytesFromPeers: null,
    queuePosition: null,
    message: null,
    error: null,
    startedAt: at(0),
    lastReportAt: at(0),
    finishedAt: null,
    impersonation: null,
    batchId: null,
    failureCode: null,
    failureClass: null,
    bootedAt: null,
    boot: null,
    ...overrides,
  };
}
