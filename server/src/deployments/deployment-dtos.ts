import {
  failureClassOf,
  type BootConfirmation,
  type DeploymentDto,
  type DeploymentEventDto,
  type TransferCounts,
} from '@rpi-deploy/contracts';
import type { DeploymentEvent } from './deployment-event.entity';
import type { Deployment } from './deployment.entity';

/** A deployment as the API returns it and the dashboards get it live (its "view"). */
export function toDeploymentDto(deployment: Deployment): DeploymentDto {
  return {
    id: deployment.id,
    status: deployment.status,
    hostname: deployment.hostname,
    product: deployment.product,
    venue: deployment.venue!.code,
    serial: deployment.serial,
    mac: deployment.mac,
    ip: deployment.ip,
    model: deployment.model,
    storageBytes: deployment.storageBytes,
    imageId: deployment.imageId,
    imageVersion: deployment.imageVersion,
    progress: deployment.progress,
    bytesDone: deployment.bytesDone,
    bytesTotal: deployment.bytesTotal,
    throughput: {
      ...(deployment.downloadBps !== null ? { download: deployment.downloadBps } : {}),
      ...(deployment.writeBps !== null ? { write: deployment.writeBps } : {}),
      ...(deployment.verifyBps !== null ? { verify: deployment.verifyBps } : {}),
    },
    transfer: transferOf(deployment),
    bytesFromServer:
      deployment.bytesFetched === null ? null : deployment.bytesFetched - (deployment.bytesFromPeers ?? 0),
    bytesFromPeers: deployment.bytesFetched === null ? null : (deployment.bytesFromPeers ?? 0),
    // Filled in by whoever sends the view (ServerAdmission is in-process, not in the row).
    queuePosition: null,
    message: deployment.message,
    error: deployment.error,
    startedAt: deployment.startedAt.toISOString(),
    lastReportAt: deployment.lastReportAt.toISOString(),
    finishedAt: deployment.finishedAt?.toISOString() ?? null,
    impersonation: deployment.impersonationAt
      ? {
          serial: deployment.impersonationSerial!,
          mac: deployment.impersonationMac!,
          ip: deployment.impersonationIp,
          at: deployment.impersonationAt.toISOString(),
        }
      : null,
    batchId: deployment.batchId,
    failureCode: deployment.failureCode,
    failureClass: deployment.failureCode ? failureClassOf(deployment.failureCode) : null,
    bootedAt: deployment.bootedAt?.toISOString() ?? null,
    boot: bootOf(deployment),
  };
}

function bootOf(deployment: Deployment): BootConfirmation | null {
  if (deployment.bootState === null) return null;
  const { bootedAt, finishedAt } = deployment;
  return {
    state: deployment.bootState,
    bootedAt: bootedAt?.toISOString() ?? null,
    secondsToBoot: bootedAt && finishedAt ? Math.max(0, (bootedAt.getTime() - finishedAt.getTime()) / 1000) : null,
    hostname: deployment.bootHostname,
    machineId: deployment.bootMachineId,
    imageVersion: deployment.bootImageVersion,
    kernel: deployment.bootKernel,
    address: deployment.bootAddress,
    hostnameMismatch: hostnameMismatch(deployment),
  };
}

/**
 * The warning when the booted unit calls itself by another name than the one assigned: the card
 * went into another unit, or the personalisation did not take. A fully qualified name counts by
 * its first label.
 */
export function hostnameMismatch({ bootHostname, hostname }: Deployment): string | null {
  if (bootHostname === null) return null;
  if (bootHostname.split('.')[0].toLowerCase() === hostname.toLowerCase()) return null;
  return `the unit booted as ${bootHostname}, but was assigned ${hostname}`;
}

function transferOf(deployment: Deployment): TransferCounts | null {
  if (deployment.bytesFetched === null || deployment.bytesWritten === null) return null;
  return {
    bytesFetched: deployment.bytesFetched,
    bytesWritten: deployment.bytesWritten,
    ...(deployment.chunksReused !== null ? { chunksReused: deployment.chunksReused } : {}),
    ...(deployment.chunksTotal !== null ? { chunksTotal: deployment.chunksTotal } : {}),
    ...(deployment.bytesFromPeers !== null ? { bytesFromPeers: deployment.bytesFromPeers } : {}),
  };
}

/** One entry of a deployment's timeline, as the detail API returns it. */
export function toEventDto(event: DeploymentEvent): DeploymentEventDto {
  return {
    id: event.id,
    kind: event.kind,
    at: event.createdAt.toISOString(),
    status: event.status,
    progress: event.progress,
    bytesDone: event.bytesDone,
    bytesTotal: event.bytesTotal,
    message: event.message,
    error: event.error,
  };
}
