/**
 * The fleet's network traffic over time, from the units' own byte counts (their `sources`
 * reports): what the server's link carried and what units passed to each other. The Statistics
 * page charts it; `GET /api/deployments/traffic` returns the recent samples (TrafficSample[],
 * oldest first) and `traffic.sampled` brings each new one live.
 */
export interface TrafficSample {
  /** ISO 8601: the end of the interval. */
  at: string;
  /** Length of the interval in seconds. */
  seconds: number;
  /** Bytes units received from the server in the interval. */
  serverBytes: number;
  /** Bytes units received from other units (peers) in the interval. */
  peerBytes: number;
}

/** One sample this often; the server keeps `historySamples` of them (30 minutes). */
export const TRAFFIC_SAMPLING = { seconds: 5, historySamples: 360 } as const;
