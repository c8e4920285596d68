import type { DeploymentDto } from '@rpi-deploy/contracts';
import {
  applyUpdates,
  elapsedSeconds,
  FINISHED_UNITS_SHOWN,
  orderUnits,
  reportedRate,
  type LiveUnits,
} from './live-units';

const T0 = Date.parse('2026-11-26T10:00:00.000Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

function deployment(overrides: Partial<DeploymentDto> = {}): DeploymentDto {
  return {
    id: 'd1',
    status: 'starting',
    hostname: 'KXP2-CORO-001',
    product: 'KXP2',
    venue: 'CORO',
    serial: '10000000abc12345',
    mac: 'd8:3a:dd:00:00:01',
    ip: '10.0.0.10',
    model: null,
    storageBytes: null,
    imageId: 1,
    imageVersion: '1.0.0',
    progress: 0,
    bytesDone: null,
    bytesTotal: null,
    throughput: {},
    message: null,
    error: null,
    startedAt: at(0),
    lastReportAt: at(0),
    finishedAt: null,
    ...overrides,
  };
}

const empty: LiveUnits = new Map();

describe('applyUpdates', () => {
  it('adds new units and replaces known ones with their newer view', () => {
    let units = applyUpdates(empty, [deployment()]);
    units = applyUpdates(units, [deployment({ status: 'downloading', progress: 20, lastReportAt: at(5) })]);

    expect(units.size).toBe(1);
    expect(units.get('d1')?.deployment).toMatchObject({ status: 'downloading', progress: 20 });
  });

  it('ignores a view older than the one held (a snapshot racing live events)', () => {
    const units = applyUpdates(empty, [deployment({ status: 'downloading', progress: 40, lastReportAt: at(10) })]);

    const after = applyUpdates(units, [deployment({ status: 'downloading', progress: 10, lastReportAt: at(2) })]);

    expect(after).toBe(units);
    expect(after.get('d1')?.deployment.progress).toBe(40);
  });

  it('never brings a finished unit back to work', () => {
    const units = applyUpdates(empty, [deployment({ status: 'failed', error: 'card gone', lastReportAt: at(10) })]);

    const after = applyUpdates(units, [deployment({ status: 'downloading', lastReportAt: at(10) })]);

    expect(after.get('d1')?.deployment.status).toBe('failed');
  });

  it('returns a new map on change and leaves the old one alone', () => {
    const units = applyUpdates(empty, [deployment()]);
    const after = applyUpdates(units, [deployment({ id: 'd2' })]);

    expect(after).not.toBe(units);
    expect(units.size).toBe(1);
    expect(after.size).toBe(2);
  });

  it("uses the installer's measured rate for speed and time left", () => {
    const units = applyUpdates(empty, [
      deployment({
        status: 'downloading',
        bytesDone: 100e6,
        bytesTotal: 400e6,
        throughput: { download: 60e6, write: 30e6 },
      }),
    ]);

    expect(units.get('d1')).toMatchObject({ rate: 30e6, etaSeconds: 10 });
  });

  it('derives the rate from two reports of the same phase when none was measured', () => {
    let units = applyUpdates(empty, [deployment({ status: 'verifying', bytesDone: 0, bytesTotal: 100e6 })]);
    units = applyUpdates(units, [
      deployment({ status: 'verifying', bytesDone: 40e6, bytesTotal: 100e6, lastReportAt: at(2) }),
    ]);

    expect(units.get('d1')).toMatchObject({ rate: 20e6, etaSeconds: 3 });
  });

  it('does not carry a rate from one phase into the next', () => {
    let units = applyUpdates(empty, [deployment({ status: 'downloading', throughput: { download: 5e6, write: 5e6 } })]);
    units = applyUpdates(units, [
      deployment({ status: 'verifying', bytesDone: 0, bytesTotal: 1e6, lastReportAt: at(1) }),
    ]);

    expect(units.get('d1')).toMatchObject({ rate: null, etaSeconds: null });
  });

  it('has no speed or time left once finished', () => {
    const units = applyUpdates(empty, [
      deployment({ status: 'success', throughput: { verify: 9e6 }, bytesDone: 1, bytesTotal: 1, finishedAt: at(9) }),
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
      deployment({ id: 'ok-old', status: 'success', finishedAt: at(50), lastReportAt: at(50) }),
      deployment({ id: 'busy-late', status: 'downloading', startedAt: at(20) }),
      deployment({ id: 'failed', status: 'failed', finishedAt: at(40), lastReportAt: at(40) }),
      deployment({ id: 'ok-new', status: 'success', finishedAt: at(60), lastReportAt: at(60) }),
      deployment({ id: 'busy-early', status: 'verifying', startedAt: at(10) }),
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
      deployment({ id: `done-${index}`, status: 'success', finishedAt: at(index), lastReportAt: at(index) }),
    );
    const units = applyUpdates(empty, [...finished, deployment({ id: 'busy', status: 'downloading' })]);

    const ordered = orderUnits(units);

    expect(ordered).toHaveLength(FINISHED_UNITS_SHOWN + 1);
    expect(ordered[0].deployment.id).toBe('busy');
    expect(ordered[1].deployment.id).toBe(`done-${FINISHED_UNITS_SHOWN + 4}`);
  });
});

describe('elapsedSeconds', () => {
  it('counts up to now while at work and stops when finished', () => {
    expect(elapsedSeconds(deployment(), T0 + 75_000)).toBe(75);
    expect(elapsedSeconds(deployment({ finishedAt: at(30) }), T0 + 75_000)).toBe(30);
  });
});
