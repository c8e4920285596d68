/** What the server and its download workers tell each other (over the IPC channel of the child). */

/** Sent with the connection's handle: the worker writes `head`, then bytes start..end of `path`. */
export interface DownloadJob {
  id: number;
  head: string;
  path: string;
  start: number;
  end: number;
}

/** The worker's answer once the connection is closed: bytes sent, or why it stopped. */
export interface DownloadDone {
  id: number;
  bytes?: number;
  error?: string;
}

/** The worker's first message: it listens for jobs. */
export interface WorkerReady {
  ready: true;
}
