import type { DeploymentDto } from '@rpi-deploy/contracts';
import { applyUpdates, FINISHED_UNITS_SHOWN, type LiveUnits } from '../live-units';
import { at, deploymentDto, T0 } from '../testing/deployment-dto';
import { filterWall, NO_WALL_FILTER, SILENT_AFTER_SECONDS, wallOrder, wallState, wallVenues } from './wall-units';

/** The page's clock: two minutes after the units started. */
const NOW = T0 + 120_000;

function units(...views: Array<Partial<DeploymentDto>>): LiveUnits {
  return applyUpdates(
    new Map(),
    views.map((view, index) => deploymentDto({ id: `d${index}`, hostname: `KXP2-CORO-${index}`, ...view })),
  );
}

const hostnames = (list: ReturnType<typeof wallOrder>) => list.map((unit) => unit.deployment.hostname);

describe('wallState', () => {
  it(`calls a unit at work silent once it has not reported for ${SILENT_AFTER_SECONDS} s`, () => {
    const [quiet, recent] = wallOrder(
      units(
        { hostname: 'recent', status: 'downloading', lastReportAt: at(120 - SILENT_AFTER_SECONDS + 1) },
        { hostname: 'quiet', status: 'downloading', lastReportAt: at(120 - SILENT_AFTER_SECONDS) },
      ),
      NOW,
    ).sort((a, b) => a.deployment.hostname.localeCompare(b.deployment.hostname));
    expect(wallState(quiet!, NOW)).toBe('silent');
    expect(wallState(recent!, NOW)).toBe('working');
  });

  it('never calls a finished unit silent', () => {
    const [done, failed] = [...units({ status: 'success' }, { status: 'failed' }).values()];
    expect(wallState(done!, NOW)).toBe('success');
    expect(wallState(failed!, NOW)).toBe('failed');
  });
});

describe('wallOrder', () => {
  it('puts failed units first, then silent ones, then the units at work by progress, then the finished', () => {
    const order = wallOrder(
      units(
        { hostname: 'done', status: 'success', progress: 100, lastReportAt: at(100), finishedAt: at(100) },
        { hostname: 'fast', status: 'verifying', progress: 80, lastReportAt: at(119) },
        { hostname: 'silent', status: 'downloading', progress: 90, lastReportAt: at(10) },
        { hostname: 'slow', status: 'downloading', progress: 20, lastReportAt: at(119) },
        { hostname: 'failed', status: 'failed', progress: 50, lastReportAt: at(60), finishedAt: at(60) },
      ),
      NOW,
    );
    expect(hostnames(order)).toEqual(['failed', 'silent', 'slow', 'fast', 'done']);
  });

  it('keeps units of equal progress in hostname order, numbers counted as numbers', () => {
    const order = wallOrder(
      units({ hostname: 'KXP2-CORO-010' }, { hostname: 'KXP2-CORO-9' }, { hostname: 'KXP2-CORO-002' }),
      T0,
    );
    expect(hostnames(order)).toEqual(['KXP2-CORO-002', 'KXP2-CORO-9', 'KXP2-CORO-010']);
  });

  it(`shows the latest ${FINISHED_UNITS_SHOWN} successful units, and every failed one`, () => {
    const finished = Array.from({ length: FINISHED_UNITS_SHOWN + 5 }, (_, n) => ({
      hostname: `ok-${n}`,
      status: 'success' as const,
      lastReportAt: at(n),
      finishedAt: at(n),
    }));
    const failed = Array.from({ length: 60 }, (_, n) => ({ status: 'failed' as const, hostname: `bad-${n}` }));
    const order = wallOrder(units(...finished, ...failed), NOW);
    expect(order).toHaveLength(FINISHED_UNITS_SHOWN + 60);
    expect(hostnames(order).slice(60, 62)).toEqual([
      `ok-${FINISHED_UNITS_SHOWN + 4}`,
      `ok-${FINISHED_UNITS_SHOWN + 3}`,
    ]);
    expect(hostnames(order)).not.toContain('ok-0');
  });
});

describe('filterWall', () => {
  const all = wallOrder(
    units(
      { hostname: 'a', status: 'failed', venue: 'CORO', batchId: 1 },
      { hostname: 'b', status: 'downloading', venue: 'CORO', batchId: 2, lastReportAt: at(119) },
      { hostname: 'c', status: 'downloading', venue: 'KERP', batchId: 2, lastReportAt: at(0) },
      { hostname: 'd', status: 'success', venue: 'KERP', batchId: null },
    ),
    NOW,
  );

  it('keeps everything without a filter', () => {
    expect(filterWall(all, NO_WALL_FILTER, NOW)).toEqual(all);
  });

  it.each([
    [{ state: 'failed' as const }, ['a']],
    [{ state: 'silent' as const }, ['c']],
    [{ state: 'working' as const }, ['b']],
    [{ state: 'success' as const }, ['d']],
    [{ batchId: 2 }, ['c', 'b']],
    [{ venue: 'KERP' }, ['c', 'd']],
    [{ venue: 'CORO', batchId: 2 }, ['b']],
    [{ state: 'failed' as const, venue: 'KERP' }, []],
  ])('filters by %j', (filter, expected) => {
    expect(hostnames(filterWall(all, { ...NO_WALL_FILTER, ...filter }, NOW))).toEqual(expected);
  });

  it('lists the venues among the units once each', () => {
    expect(wallVenues(units({ venue: 'KERP' }, { venue: 'CORO' }, { venue: 'KERP' }))).toEqual(['CORO', 'KERP']);
  });
});
