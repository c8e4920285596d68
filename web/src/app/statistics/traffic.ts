import { TRAFFIC_SAMPLING, type TrafficSample } from '@rpi-deploy/contracts';

/** The traffic chart's series: per sample its time and the MB/s from the server, from peers and in all. */
export interface TrafficSeries {
  /** Local HH:mm:ss of each sample's end. */
  labels: string[];
  serverMBps: number[];
  peerMBps: number[];
  totalMBps: number[];
  /** Bytes over all the samples. */
  serverBytes: number;
  peerBytes: number;
}

/** Adds a live sample to the history, oldest first: one per instant, at most the server's history length. */
export function addSample(history: readonly TrafficSample[], sample: TrafficSample): TrafficSample[] {
  if (history.some((held) => held.at === sample.at)) return [...history];
  return [...history, sample].sort((a, b) => a.at.localeCompare(b.at)).slice(-TRAFFIC_SAMPLING.historySamples);
}

export function trafficSeries(samples: readonly TrafficSample[]): TrafficSeries {
  const perSecond = (bytes: number, seconds: number) => (seconds > 0 ? Math.round(bytes / seconds / 1e4) / 100 : 0);
  const series: TrafficSeries = {
    labels: [],
    serverMBps: [],
    peerMBps: [],
    totalMBps: [],
    serverBytes: 0,
    peerBytes: 0,
  };
  for (const sample of samples) {
    series.labels.push(clock(Date.parse(sample.at)));
    series.serverMBps.push(perSecond(sample.serverBytes, sample.seconds));
    series.peerMBps.push(perSecond(sample.peerBytes, sample.seconds));
    series.totalMBps.push(perSecond(sample.serverBytes + sample.peerBytes, sample.seconds));
    series.serverBytes += sample.serverBytes;
    series.peerBytes += sample.peerBytes;
  }
  return series;
}

function clock(time: number): string {
  const date = new Date(time);
  return [date.getHours(), date.getMinutes(), date.getSeconds()].map((part) => String(part).padStart(2, '0')).join(':');
}
