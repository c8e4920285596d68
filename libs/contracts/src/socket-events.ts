/** Names of the events the management listener's socket.io gateway emits. */
export const SOCKET_EVENTS = {
  deploymentUpdated: 'deployment.updated',
  deviceSeen: 'device.seen',
  statsUpdated: 'stats.updated',
} as const;
export type SocketEventName = (typeof SOCKET_EVENTS)[keyof typeof SOCKET_EVENTS];
