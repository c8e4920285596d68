import {
  TERMINAL_DEPLOYMENT_STATUSES,
  type DeploymentDto,
  type DeploymentStatus,
  type StageThroughput,
} from '@rpi-deploy/contracts';
import { etaSeconds } from '../format/units';

/** A unit on the dashboard: its latest deployment view plus what the page works out from it. */
export interface LiveUnit {
  deployment: DeploymentDto;
  /** Bytes per second of the current phase, or null while unknown. */
  rate: number | null;
  /** Seconds left in the current phase, or null while unknown. */
  etaSeconds: number | null;
}

/** Units by deployment id. Never mutated: every change gives a new map (signals compare by identity). */
export type LiveUnits = ReadonlyMap<string, LiveUnit>;

export function isFinished(status: DeploymentStatus): boolean {
  return TERMINAL_DEPLOYMENT_STATUSES.includes(status);
}

/**
 * Folds deployment views (live events or a reloaded snapshot) into the state. A view older than
 * the one held is ignored, so a snapshot fetched before a burst of events cannot roll units back.
 * A unit that retried shows one card: its newer deployment replaces the failed one.
 */
export function applyUpdates(units: LiveUnits, updates: readonly DeploymentDto[]): LiveUnits {
  let next: Map<string, LiveUnit> | null = null;
  for (const update of updates) {
    const held = next ?? units;
    const current = held.get(update.id);
    if (current && isStale(current.deployment, update)) continue;
    const sameUnit = [...held.values()].filter(
      ({ deployment }) => deployment.serial === update.serial && deployment.id !== update.id,
    );
    if (sameUnit.some(({ deployment }) => replaces(deployment, update))) continue;
    next ??= new Map(units);
    for (const { deployment } of sameUnit) if (replaces(update, deployment)) next.delete(deployment.id);
    next.set(update.id, toUnit(update, current));
  }
  return next ?? units;
}

/** A unit's later deployment takes the place of its failed one: it retried. */
function replaces(newer: DeploymentDto, older: DeploymentDto): boolean {
  return older.status === 'failed' && Date.parse(newer.startedAt) > Date.parse(older.startedAt);
}

function isStale(current: DeploymentDto, update: DeploymentDto): boolean {
  if (isFinished(current.status) && !isFinished(update.status)) return true;
  return Date.parse(update.lastReportAt) < Date.parse(current.lastReportAt);
}

function toUnit(deployment: DeploymentDto, previous: LiveUnit | undefined): LiveUnit {
  if (isFinished(deployment.status)) return { deployment, rate: null, etaSeconds: null };
  const rate = reportedRate(deployment.status, deployment.throughput) ?? derivedRate(deployment, previous);
  const { bytesDone, bytesTotal } = deployment;
  const eta = bytesDone !== null && bytesTotal !== null ? etaSeconds(bytesTotal - bytesDone, rate) : null;
  return { deployment, rate, etaSeconds: eta };
}

/**
 * The installer's own measurement. While downloading, data flows through download and write at
 * once, so the slower stage sets the pace; while verifying only the read-back counts.
 */
export function reportedRate(status: DeploymentStatus, throughput: StageThroughput | undefined): number | null {
  if (!throughput) return null;
  const stages: Array<keyof StageThroughput> =
    status === 'verifying' ? ['verify'] : status === 'downloading' ? ['download', 'write'] : [];
  const rates = stages.map((stage) => throughput[stage]).filter((rate): rate is number => typeof rate === 'number');
  return rates.length > 0 ? Math.min(...rates) : null;
}

/** Without a measurement: bytes between the last two reports of the same phase, over the time between them. */
function derivedRate(deployment: DeploymentDto, previous: LiveUnit | undefined): number | null {
  const before = previous?.deployment;
  if (!before || before.status !== deployment.status) return null;
  if (before.bytesDone === null || deployment.bytesDone === null) return previous.rate;
  const seconds = (Date.parse(deployment.lastReportAt) - Date.parse(before.lastReportAt)) / 1000;
  const bytes = deployment.bytesDone - before.bytesDone;
  if (!(seconds > 0) || bytes < 0) return previous.rate;
  return bytes / seconds;
}

/** At most this many finished units stay on the dashboard; the history has the rest. */
export const FINISHED_UNITS_SHOWN = 48;

/**
 * Display order: units at work first, in the order they started (so cards do not jump around),
 * then failed ones, then successful ones, the most recent first.
 */
export function orderUnits(units: LiveUnits): LiveUnit[] {
  const all = [...units.values()];
  const active = all.filter((unit) => !isFinished(unit.deployment.status));
  active.sort(
    (a, b) =>
      a.deployment.startedAt.localeCompare(b.deployment.startedAt) || a.deployment.id.localeCompare(b.deployment.id),
  );
  const finished = all.filter((unit) => isFinished(unit.deployment.status));
  finished.sort(
    (a, b) => rank(a) - rank(b) || (b.deployment.finishedAt ?? '').localeCompare(a.deployment.finishedAt ?? ''),
  );
  return [...active, ...finished.slice(0, FINISHED_UNITS_SHOWN)];
}

function rank(unit: LiveUnit): number {
  return unit.deployment.status === 'failed' ? 0 : 1;
}

/** Seconds the unit has been at it (until it finished). */
export function elapsedSeconds(deployment: DeploymentDto, now: number): number {
  const end = deployment.finishedAt ? Date.parse(deployment.finishedAt) : now;
  return Math.max(0, (end - Date.parse(deployment.startedAt)) / 1000);
}
