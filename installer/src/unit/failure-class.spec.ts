import { FAILURE_CODES, failureClassOf } from '@rpi-deploy/contracts';
import { checkCapacity, inspectTarget } from '../card/target-device';
import { corruptImageError } from '../download/source-checker';
import { InstallError } from '../install-error';
import { describeFailure, failureCodeOf, waitsForOperator } from './failure-class';

describe('failure classes', () => {
  it('takes the code the failure was raised with: a card too small is permanent', () => {
    let thrown: unknown;
    try {
      checkCapacity({ path: '/dev/mmcblk0', kind: 'block-device', sizeBytes: 1 << 20 }, 8 << 20);
    } catch (error) {
      thrown = error;
    }
    expect(failureCodeOf(thrown)).toBe('card_too_small');
    expect(failureClassOf(failureCodeOf(thrown))).toBe('permanent');
  });

  it('classifies a missing card and a corrupt image as permanent', async () => {
    const missing = await inspectTarget('/nonexistent/mmcblk9').catch((error: unknown) => error);
    expect(failureCodeOf(missing)).toBe('card_missing');
    const corrupt = corruptImageError(
      { start: 0, end: 4096, label: 'range 1', sha256: 'a'.repeat(64) },
      'b'.repeat(64),
    );
    expect(failureCodeOf(corrupt)).toBe('image_corrupt');
    expect(failureClassOf('image_corrupt')).toBe('permanent');
  });

  it('counts socket errors as the network (transient) and anything unexplained as unknown (permanent)', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.2.2:5001'), { code: 'ECONNREFUSED' });
    expect(failureCodeOf(refused)).toBe('network');
    expect(failureClassOf('network')).toBe('transient');
    expect(failureCodeOf(new InstallError('the image has no MBR partition table'))).toBe('unknown');
    expect(failureCodeOf(new TypeError('x is undefined'))).toBe('unknown');
    expect(failureClassOf('unknown')).toBe('permanent');
  });

  it('gives every code its own blink count, transient ones the fewest', () => {
    const blinks = Object.values(FAILURE_CODES).map((info) => info.blinks);
    expect(new Set(blinks).size).toBe(blinks.length);
    const transient = Object.values(FAILURE_CODES).filter((info) => info.failureClass === 'transient');
    const permanent = Object.values(FAILURE_CODES).filter((info) => info.failureClass === 'permanent');
    expect(Math.max(...transient.map((info) => info.blinks))).toBeLessThan(Math.min(...permanent.map((i) => i.blinks)));
    expect(describeFailure('card_too_small')).toBe('SD card too small (card_too_small, permanent, 5 red blinks)');
  });

  it('waits for an operator after permanent failures (or all, on the last attempt), never by default', () => {
    expect(waitsForOperator('never', 'permanent')).toBe(false);
    expect(waitsForOperator('permanent', 'permanent')).toBe(true);
    expect(waitsForOperator('permanent', 'transient')).toBe(false);
    expect(waitsForOperator('always', 'transient')).toBe(true);
  });
});
