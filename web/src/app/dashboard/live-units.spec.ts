import {
  applyUpdates,
  elapsedSeconds,
  FINISHED_UNITS_SHOWN,
  orderUnits,
  reportedRate,
  type LiveUnits,
} from './live-units';
import { at, deploymentDto, T0 } from './testing/deployment-dto';

const empty: LiveUnits = new Map();

describe('applyUpdates', () => {
  it('adds new units and replaces known ones with their newer view', () => {
    let units = applyUpdates(empty, [deploymentDto()]);
    units = applyUpdates(units, [deploymentDto({ status: 'downloading', progress: 20, lastReportAt: at(5) })]);

    expect(units.size).toBe(1);
    expect(units.get('d1')?.deployment).toMatchObject({ status: 'downloading', progress: 20 });
  });

  it('ignores a view older than the one held (a snapshot racing live events)', () => {
    const units = applyUpdates(empty, [deploymentDto({ status: 'downloading', progress: 40, lastReportAt: at(10) })]);

    const after = applyUpdates(units, [deploymentDto({ status: 'downloading', progress: 10, lastReportAt: at(2) })]);

    expect(after).toBe(units);
    expect(after.get('d1')?.deployment.progress).toBe(40);
  });

  it("shows one card per unit: a retry's new deployment replaces the failed one, never the other way round", () => {
    const failed = deploymentDto({ id: 'd1', status: 'failed', startedAt: at(0), lastReportAt: at(20) });
    const other = deploymentDto({ id: 'd2', serial: '10000000ffff0002', startedAt: at(1), lastReportAt: at(1) });
    const retry = deploymentDto({ id: 'd3', status: 'starting', startedAt: at(60), lastReportAt: at(60) });

    const units = applyUpdates(applyUpdates(empty, [failed, other]), [retry]);
    expect([...units.keys()].sort()).toEqual(['d2', 'd3']);
    // A late view of the old deployment does not bring its card back.
    expect(applyUpdates(units, [{ ...failed, lastReportAt: at(90) }])).toBe(units);
    // Nor does a snapshot that holds both.
    expect([...applyUpdates(empty, [retry, failed, other]).keys()].sort()).toEqual(['d2', 'd3']);
  });

  it('never brings a finished unit back to work', () => {
    const units = applyUpdates(empty, [deploymentDto({ status: 'failed', error: 'card gone', lastReportAt: at(10) })]);

    const after = applyUpdates(units, [deploymentDto({ status: 'downloading', lastReportAt: at(10) })]);

    expect(after.get('d1')?.deployment.status).toBe('failed');
  });

  it('returns a new map on change and leaves the old one alone', () => {
    const units = applyUpdates(empty, [deploymentDto()]);
    const after = applyUpdates(units, [deploymentDto({ id: 'd2' })]);

    expect(after).not.toBe(units);
    expect(units.size).toBe(1);
    expect(after.size).toBe(2);
  });

  it("uses the installer's measured rate for speed and time left", () => {
    const units = applyUpdates(empty, [
      deploymentDto({
        status: 'downloading',
        bytesDone: 100e6,
        bytesTotal: 400e6,
        throughput: { download: 60e6, write: 30e6 },
      }),
    ]);

    expect(units.get('d1')).toMatchObject({ rate: 30e6, etaSeconds: 10 });
  });

  it('derives the rate from two reports of the same phase when none was measured', () => {
    let units = applyUpdates(empty, [deploymentDto({ status: 'verifying', bytesDone: 0, bytesTotal: 100e6 })]);
    units = applyUpdates(units, [
      deploymentDto({ status: 'verifying', bytesDone: 40e6, bytesTotal: 100e6, lastReportAt: at(2) }),
    ]);

    expect(units.get('d1')).toMatchObject({ rate: 20e6, etaSeconds: 3 });
  });

  it('does not carry a rate from one phase into the next', () => {
    let units = applyUpdates(empty, [
      deploymentDto({ status: 'downloading', throughput: { download: 5e6, write: 5e6 } }),
    ]);
    units = applyUpdates(units, [
      deploymentDto({ status: 'verifying', bytesDone: 0, bytesTotal: 1e6, lastReportAt: at(1) }),
    ]);

    expect(units.get('d1')).toMatchObject({ rate: null, etaSeconds: null });
  });

  it('has no speed or time left once finished', () => {
    const units = applyUpdates(empty, [
      deploymentDto({ status: 'success', throughput: { verify: 9e6 }, bytesDone: 1, bytesTotal: 1, finishedAt: at(9) }),
    ]);

    expect(units.get('d1')).toMatchObject({ rate: null, etaSeconds: null });
  });
});

describe('reportedRate', () => {
  it('reads the verify stage while verifying', () => {
    expect(reportedRate('verifying', { download: 1, write: 2, verify: 80e6 })).toBe(80e6);
  });

  it('has nothing to say for phases without bytes', () => {
    expect(reportedRate('customizing', { download: 1 })).toBeNull();
    expect(reportedRate('downloading', {})).toBeNull();
  });
});

describe('orderUnits', () => {
  it('puts units at work first in start order, then failures, then successes, newest first', () => {
    const units = applyUpdates(empty, [
      deploymentDto({ id: 'ok-old', status: 'success', finishedAt: at(50), lastReportAt: at(50) }),
      deploymentDto({ id: 'busy-late', status: 'downloading', startedAt: at(20) }),
      deploymentDto({
        id: 'failed',
        serial: '10000000000fa11d', // another unit: a unit's later deployment replaces its failed one
        status: 'failed',
        finishedAt: at(40),
        lastReportAt: at(40),
      }),
      deploymentDto({ id: 'ok-new', status: 'success', finishedAt: at(60), lastReportAt: at(60) }),
      deploymentDto({ id: 'busy-early', status: 'verifying', startedAt: at(10) }),
    ]);

    expect(orderUnits(units).map((unit) => unit.deployment.id)).toEqual([
      'busy-early',
      'busy-late',
      'failed',
      'ok-new',
      'ok-old',
    ]);
  });

  it('keeps every unit at work but only the latest finished ones', () => {
    const finished = Array.from({ length: FINISHED_UNITS_SHOWN + 5 }, (_, index) =>
      deploymentDto({ id: `done-${index}`, status: 'success', finishedAt: at(index), lastReportAt: at(index) }),
    );
    const units = applyUpdates(empty, [...finished, deploymentDto({ id: 'busy', status: 'downloading' })]);

    const ordered = orderUnits(units);

    expect(ordered).toHaveLength(FINISHED_UNITS_SHOWN + 1);
    expect(ordered[0].deployment.id).toBe('busy');
    expect(ordered[1].deployment.id).toBe(`done-${FINISHED_UNITS_SHOWN + 4}`);
  });
});

describe('elapsedSeconds', () => {
  it('counts up to now while at work and stops when finished', () => {
    expect(elapsedSeconds(deploymentDto(), T0 + 75_000)).toBe(75);
    expect(elapsedSeconds(deploymentDto({ finishedAt: at(30) }), T0 + 75_000)).toBe(30);
  });
});
