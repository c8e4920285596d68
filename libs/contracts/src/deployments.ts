import type { BootConfirmation } from './boot-confirmation';
import type { DeploymentStatus } from './deployment-status';
import type { ProductCode } from './products';
import type { FailureClass, FailureCode } from './unit-failures';

/** How an image travels to the Pi; the installer decompresses on the fly. */
export const IMAGE_COMPRESSIONS = ['none', 'gzip', 'xz', 'zstd'] as const;
export type ImageCompression = (typeof IMAGE_COMPRESSIONS)[number];

/** `POST /api/config` on the deployment listener: who am I, what do I write? */
export interface ConfigRequest {
  /** 8-16 hex digits (the Pi 5 has 16). */
  serial: string;
  mac: string;
  product?: ProductCode;
  venue?: string;
  model?: string;
  /** Size of the target card in bytes. */
  storageBytes?: number;
}

/** What the installer writes. Offsets and sizes are of the uncompressed image. */
export interface ImageDescriptor {
  id: number;
  version: string;
  /** Absolute URL of the bytes to download (built from DEPLOY_PUBLIC_URL). */
  url: string;
  /** Uncompressed size in bytes. */
  size: number;
  /** SHA-256 (hex) of the uncompressed image. */
  sha256: string;
  /** bmaptool-format block map of the uncompressed image, when one exists. */
  bmapUrl?: string;
  /** Encoding of the bytes at `url`; absent or 'none' means raw. */
  compression?: ImageCompression;
  /** Size in bytes of what `url` serves, when it differs from `size`. */
  transferSize?: number;
  /** The image's chunk manifest (ChunkManifest), when the chunk store holds it. */
  manifestUrl?: string;
}

export interface ConfigResponse {
  deploymentId: string;
  /**
   * Secret for this deployment only: every status report sends it as
   * `Authorization: Bearer <statusToken>`, so no unit can touch another's deployment.
   */
  statusToken: string;
  hostname: string;
  product: ProductCode;
  venue: string;
  image: ImageDescriptor;
}

/** Bytes per second of each stage of the pipeline, as last measured. */
export interface StageThroughput {
  download?: number;
  write?: number;
  verify?: number;
}

/**
 * What an install moved, sent with its `success` report (chunk counts only when it installed from
 * the chunk store): the deployment page and the CSV show it.
 */
export interface TransferCounts {
  /** Bytes received from the network (compressed chunks, or the image as served), refetches included. */
  bytesFetched: number;
  /** Bytes written to the card. */
  bytesWritten: number;
  /** Chunks the card already held, so neither fetched nor written. */
  chunksReused?: number;
  /** Chunks in the image's manifest. */
  chunksTotal?: number;
  /** Of bytesFetched, those that came from other units (peers); the rest came from the server. */
  bytesFromPeers?: number;
}

/**
 * Where a unit's network bytes came from so far, sent with its progress reports while it
 * downloads: the dashboard shows them on its card and the Statistics page sums them over the fleet.
 */
export interface ByteSources {
  /** Bytes received from the server's link, refetches included. */
  fromServer: number;
  /** Bytes received from other units (peers). */
  fromPeers: number;
}

/** Longest `message` and `error` a status report may carry (longer ones are refused with 400). */
export const STATUS_TEXT_LIMITS = { message: 500, error: 1000 } as const;

/** `POST /api/status`, with `Authorization: Bearer <statusToken>`. */
export interface StatusReport {
  deploymentId: string;
  status: DeploymentStatus;
  /** 0-100 over the whole install. */
  progress?: number;
  bytesDone?: number;
  bytesTotal?: number;
  throughput?: StageThroughput;
  /** With `success`: what the install fetched, wrote and reused. */
  transfer?: TransferCounts;
  /** While downloading: the bytes received so far, by source (running totals). */
  sources?: ByteSources;
  message?: string;
  error?: string;
  /** With `failed`: why, classified by the installer (FAILURE_CODES); the server derives the class. */
  failureCode?: FailureCode;
}

export interface StatusAck {
  received: true;
}

/** A deployment as the dashboard and the history show it. */
export interface DeploymentDto {
  id: string;
  status: DeploymentStatus;
  hostname: string;
  product: ProductCode;
  venue: string;
  serial: string;
  mac: string;
  ip: string | null;
  model: string | null;
  storageBytes: number | null;
  imageId: number | null;
  imageVersion: string;
  progress: number;
  bytesDone: number | null;
  bytesTotal: number | null;
  throughput: StageThroughput;
  /** What the install moved, once it has succeeded (null before, and for older installers). */
  transfer: TransferCounts | null;
  /**
   * Where the unit's network bytes came from: the server's link, and neighbouring units (peers).
   * Running totals while the unit downloads (its `sources` reports), final ones with its
   * `transfer`; null before the unit has reported any.
   */
  bytesFromServer: number | null;
  bytesFromPeers: number | null;
  /**
   * The unit's place in line for the server's link ("waiting for the network, 4th in line"):
   * 1-based while the server's transfer cap (DEPLOY_MAX_SERVER_TRANSFERS) holds it back, else null.
   */
  queuePosition: number | null;
  message: string | null;
  error: string | null;
  startedAt: string;
  lastReportAt: string;
  finishedAt: string | null;
  /** The latest refused `/api/config` for this unit's serial or MAC from another device, if any. */
  impersonation: ImpersonationWarning | null;
  /** The batch the unit's hostname was handed out through, if any (wall filters, labels). */
  batchId: number | null;
  /** Why it failed, as the installer classified it (null otherwise, and for failures the server decided). */
  failureCode: FailureCode | null;
  failureClass: FailureClass | null;
  /** When the unit's first boot into the product confirmed it (status `booted`); null until then. */
  bootedAt: string | null;
  /** The first boot of a successful deployment (null before success, and for installs older than it). */
  boot: BootConfirmation | null;
}

/**
 * Another device asked `/api/config` for a unit whose deployment is open, giving the unit's
 * serial with another MAC (or its MAC with another serial): it was refused (409). What it sent.
 */
export interface ImpersonationWarning {
  serial: string;
  mac: string;
  ip: string | null;
  at: string;
}

/**
 * What a timeline entry is: a status (an installer's report, or the server ending the
 * deployment), or a refused impersonation (the message names the requester), the unit's boot
 * confirmation (`booted`), or the server noting that none came in time (`boot_unconfirmed`).
 */
/** `peer_fault`: a unit reported that a peer served it a wrong chunk or none (message names both). */
export const DEPLOYMENT_EVENT_KINDS = ['status', 'impersonation', 'booted', 'boot_unconfirmed', 'peer_fault'] as const;
export type DeploymentEventKind = (typeof DEPLOYMENT_EVENT_KINDS)[number];

export interface DeploymentEventDto {
  /** Increases with time: `before` of the events page. */
  id: number;
  kind: DeploymentEventKind;
  at: string;
  status: DeploymentStatus;
  progress: number | null;
  bytesDone: number | null;
  bytesTotal: number | null;
  message: string | null;
  error: string | null;
}

/**
 * GET /api/deployments/:id returns the latest `detail` events; older ones come from
 * GET /api/deployments/:id/events?before=&limit= (`limit` 1-`max`, default `page`).
 */
export const DEPLOYMENT_EVENT_PAGING = { detail: 200, page: 100, max: 500 } as const;

export interface DeploymentDetailDto extends DeploymentDto {
  /** The latest events, oldest first. */
  events: DeploymentEventDto[];
  /** All events of the deployment: more than `events.length` means there are older ones to page. */
  eventCount: number;
}

/** GET /api/deployments/:id/events: events older than `before` (an event id), newest `limit` of them. */
export interface DeploymentEventQuery {
  before?: number;
  limit?: number;
}

export interface DeploymentEventPage {
  /** Oldest first. */
  items: DeploymentEventDto[];
  /** Whether there are events older than the first item. */
  hasOlder: boolean;
}

/** Columns the history can be sorted by (GET /api/deployments?sort=&order=). */
export const DEPLOYMENT_SORT_KEYS = ['startedAt', 'hostname', 'status', 'venue', 'product', 'duration'] as const;
export type DeploymentSortKey = (typeof DEPLOYMENT_SORT_KEYS)[number];
export const SORT_ORDERS = ['asc', 'desc'] as const;
export type SortOrder = (typeof SORT_ORDERS)[number];

/** What the history is filtered by (GET /api/deployments and its CSV export). */
export interface DeploymentFilter {
  status?: DeploymentStatus;
  /** Venue code, in any case. */
  venue?: string;
  product?: ProductCode;
  /** ISO 8601: started at or after. */
  from?: string;
  /** ISO 8601: started before. */
  to?: string;
}

/**
 * GET /api/deployments: the filter, which page (1-based, 50 deployments a page unless said,
 * at most 500) and in which order (newest first unless said; see DEPLOYMENT_SORT_KEYS).
 */
export interface DeploymentQuery extends DeploymentFilter {
  page?: number;
  pageSize?: number;
  sort?: DeploymentSortKey;
  /** Default: desc for startedAt, else asc. */
  order?: SortOrder;
}

export interface DeploymentPage {
  items: DeploymentDto[];
  total: number;
  page: number;
  pageSize: number;
}

export interface OutcomeCounts {
  total: number;
  success: number;
  failed: number;
  inProgress: number;
}

export interface DeploymentStats {
  /** Days are UTC days; "today" started at 00:00 UTC. */
  today: OutcomeCounts;
  last7Days: OutcomeCounts;
  last30Days: OutcomeCounts;
  /** success / (success + failed) over 30 days, 0-1; null when nothing has finished. */
  successRate: number | null;
  /** Of successful deployments over 30 days. */
  medianDurationSeconds: number | null;
  /** Image bytes per second of successful deployments over 30 days. */
  medianThroughputBps: number | null;
  /** booted / (booted + unconfirmed) of successful deployments over 30 days, 0-1; null when none has decided. */
  bootConfirmationRate: number | null;
  /** From success to the boot confirmation, of confirmed deployments over 30 days. */
  medianSecondsToBoot: number | null;
  perVenue: Array<OutcomeCounts & { venue: string }>;
  perProduct: Array<OutcomeCounts & { product: string }>;
}
