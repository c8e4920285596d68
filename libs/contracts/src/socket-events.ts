/** Names of the events the management listener's socket.io gateway emits. */
export const SOCKET_EVENTS = {
  deploymentUpdated: 'deployment.updated',
  deviceSeen: 'device.seen',
  statsUpdated: 'stats.updated',
  /** An image upload in progress: bytes received and unpacked so far. */
  imageProgress: 'image.progress',
  /** The image list changed (upload finished, activation, deletion). */
  imagesChanged: 'images.changed',
} as const;
export type SocketEventName = (typeof SOCKET_EVENTS)[keyof typeof SOCKET_EVENTS];

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
