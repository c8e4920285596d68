import { formatBytes, type ByteSources, type DeploymentStatus, type StageThroughput } from '@rpi-deploy/contracts';
import type { StatusReporter } from './status-reporter';
import { formatRate } from './units';

/** Bytes per second of a growing counter, over the last few seconds (steadier than an instant rate). */
export class RateMeter {
  private readonly samples: Array<{ at: number; total: number }> = [];

  constructor(private readonly windowMs = 5_000) {}

  rate(total: number, at = Date.now()): number {
    this.samples.push({ at, total });
    while (this.samples.length > 2 && at - this.samples[1].at >= this.windowMs) this.samples.shift();
    const first = this.samples[0];
    return at > first.at ? Math.round(((total - first.total) * 1000) / (at - first.at)) : 0;
  }
}

export interface PhaseProgress {
  status: DeploymentStatus;
  /** The share of the whole install this phase covers, in percent: [from, to]. */
  span: [number, number];
  bytesDone: () => number;
  bytesTotal: number;
  /** Running byte counters of the stages active in this phase. */
  counters: Partial<Record<keyof StageThroughput, () => number>>;
  /** While downloading: the bytes received so far from the server and from peers (the dashboard shows both). */
  sources?: () => ByteSources;
}

/** Status reports twice a second at most; a console line (serial console) every second. */
const REPORT_INTERVAL_MS = 500;
const CONSOLE_EVERY_TICKS = 2;

/** Reports a phase's progress until the returned function is called. */
export function trackProgress(phase: PhaseProgress, reporter: StatusReporter, log: (line: string) => void): () => void {
  const counters = Object.entries(phase.counters) as Array<[keyof StageThroughput, () => number]>;
  const meters = Object.fromEntries(counters.map(([stage, counter]) => [stage, seeded(new RateMeter(), counter())]));
  let ticks = 0;
  const tick = () => {
    const bytesDone = phase.bytesDone();
    const fraction = phase.bytesTotal > 0 ? Math.min(1, bytesDone / phase.bytesTotal) : 1;
    const [from, to] = phase.span;
    const progress = Math.floor(from + (to - from) * fraction);
    const throughput: StageThroughput = {};
    for (const [stage, counter] of counters) throughput[stage] = meters[stage].rate(counter());
    const sources = phase.sources?.();
    reporter.progress({
      status: phase.status,
      progress,
      bytesDone,
      bytesTotal: phase.bytesTotal,
      throughput,
      ...(sources ? { sources } : {}),
    });
    ticks += 1;
    if (ticks % CONSOLE_EVERY_TICKS === 0) {
      const rates = Object.entries(throughput).map(([stage, rate]) => `${stage} ${formatRate(rate)}`);
      log(
        `${phase.status} ${progress}%  ${formatBytes(bytesDone)} of ${formatBytes(phase.bytesTotal)}  ${rates.join('  ')}`,
      );
    }
  };
  const timer = setInterval(tick, REPORT_INTERVAL_MS);
  return () => clearInterval(timer);
}

function seeded(meter: RateMeter, total: number): RateMeter {
  meter.rate(total);
  return meter;
}
