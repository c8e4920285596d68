import { FINISHED_UNITS_SHOWN, type LiveUnit, type LiveUnits } from '../live-units';

/**
 * A unit at work that has not reported for this long is shown as silent, long before the server
 * gives up on it (DEPLOYMENT_SILENCE_TIMEOUT_SECONDS, 10 minutes by default): a healthy installer
 * reports every few seconds, so a minute of silence already means a cable, a card or a crash.
 */
export const SILENT_AFTER_SECONDS = 60;

/** What a tile's colour says about its unit. */
export const WALL_STATES = ['failed', 'silent', 'working', 'success'] as const;
export type WallState = (typeof WALL_STATES)[number];

export interface WallFilter {
  state: WallState | null;
  batchId: number | null;
  venue: string | null;
}

export const NO_WALL_FILTER: WallFilter = { state: null, batchId: null, venue: null };

export function wallState(unit: LiveUnit, now: number): WallState {
  const { status, lastReportAt } = unit.deployment;
  if (status === 'failed') return 'failed';
  if (status === 'success') return 'success';
  return now - Date.parse(lastReportAt) >= SILENT_AFTER_SECONDS * 1000 ? 'silent' : 'working';
}

const STATE_RANK: Record<WallState, number> = { failed: 0, silent: 1, working: 2, success: 3 };

/**
 * The wall's order: what needs a person first (failed, then silent units), then the units at
 * work by progress, the furthest behind first, then the finished ones (the latest
 * FINISHED_UNITS_SHOWN, as on the cards). Ties go by hostname so equal tiles keep their places.
 */
export function wallOrder(units: LiveUnits, now: number): LiveUnit[] {
  const ranked = [...units.values()].map((unit) => ({ unit, state: wallState(unit, now) }));
  ranked.sort(
    (a, b) =>
      STATE_RANK[a.state] - STATE_RANK[b.state] ||
      (a.state === 'success' ? finishedLatestFirst(a.unit, b.unit) : 0) ||
      a.unit.deployment.progress - b.unit.deployment.progress ||
      a.unit.deployment.hostname.localeCompare(b.unit.deployment.hostname, 'en', { numeric: true }),
  );
  const successes = ranked.filter((entry) => entry.state === 'success').slice(FINISHED_UNITS_SHOWN);
  const hidden = new Set(successes.map((entry) => entry.unit));
  return ranked.filter((entry) => !hidden.has(entry.unit)).map((entry) => entry.unit);
}

function finishedLatestFirst(a: LiveUnit, b: LiveUnit): number {
  return (b.deployment.finishedAt ?? '').localeCompare(a.deployment.finishedAt ?? '');
}

/** The units that pass every filter that is set. */
export function filterWall(units: readonly LiveUnit[], filter: WallFilter, now: number): LiveUnit[] {
  return units.filter(
    (unit) =>
      (filter.state === null || wallState(unit, now) === filter.state) &&
      (filter.batchId === null || unit.deployment.batchId === filter.batchId) &&
      (filter.venue === null || unit.deployment.venue === filter.venue),
  );
}

/** Venue codes among the units, for the venue filter. */
export function wallVenues(units: LiveUnits): string[] {
  return [...new Set([...units.values()].map((unit) => unit.deployment.venue))].sort();
}
