import type { DeploymentDto } from './deployments';
import type { NetbootDeviceDto } from './netboot';

/** Names of the events the management listener's socket.io gateway emits. */
export const SOCKET_EVENTS = {
  /**
   * One deployment's latest view (a DeploymentDto) per event, throttled like deploymentsUpdated.
   * Kept for outside clients (QA scripts); the dashboard listens to deploymentsUpdated.
   */
  deploymentUpdated: 'deployment.updated',
  /** Once per tick, the latest views of the deployments that changed in it (DeploymentsUpdatedEvent). */
  deploymentsUpdated: 'deployments.updated',
  /**
   * One netboot device (a NetbootDeviceDto) per DHCP or TFTP step, as it happens. Kept for
   * outside clients; the dashboard listens to devicesSeen.
   */
  deviceSeen: 'device.seen',
  /** Once per tick, the latest state of the netboot devices that changed in it (DevicesSeenEvent). */
  devicesSeen: 'devices.seen',
  statsUpdated: 'stats.updated',
  /** An image upload in progress: bytes received and unpacked so far. */
  imageProgress: 'image.progress',
  /** The image list changed (upload finished, activation, deletion). */
  imagesChanged: 'images.changed',
  /** Converting a stored image into chunks: its progress (an ImageConversionDto). */
  imageConversion: 'image.conversion',
  /** Recompressing a captured image's chunks at the store's level: its progress (an ImageRecompressionDto). */
  imageRecompression: 'image.recompression',
  /** Every TRAFFIC_SAMPLING.seconds, the fleet's bytes from the server and from peers (a TrafficSample). */
  trafficSampled: 'traffic.sampled',
} as const;
export type SocketEventName = (typeof SOCKET_EVENTS)[keyof typeof SOCKET_EVENTS];

/**
 * `deployments.updated`: one entry per deployment, its latest view. A final status (success,
 * failed) comes at once in a batch of its own and is never followed by an older view.
 */
export type DeploymentsUpdatedEvent = DeploymentDto[];

/** Payload of `devices.seen`: each device that changed in the tick, once, in its latest state. */
export type DevicesSeenEvent = NetbootDeviceDto[];

export interface ImageProgressEvent {
  /** Identifies one upload across its events. */
  uploadId: string;
  product: string | null;
  version: string | null;
  uploadedBy: string;
  stage: 'receiving' | 'stored' | 'failed';
  /** Bytes of the request body received so far, and its declared total. */
  receivedBytes: number;
  totalBytes: number | null;
  /** Uncompressed image bytes written so far. */
  imageBytes: number;
  error?: string;
}
