import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FAILURE_CODES, IDENTIFY_SECONDS } from '@rpi-deploy/contracts';
import { Leds, type LedClock } from './leds';

/** What the LED folder held at each step, and for how long: on = '1'. */
interface Seen {
  act: string;
  pwr: string;
  ms: number;
  at: number;
}

/**
 * A clock that moves only when the driver sleeps: each sleep records the LED files as they are
 * and advances time by the step. After `limit` steps it stops until the driver is stopped.
 */
function recordingClock(dir: string, limit: number) {
  const seen: Seen[] = [];
  let now = 0;
  let reached!: () => void;
  const full = new Promise<void>((resolve) => (reached = resolve));
  const read = (name: string) => readFileSync(join(dir, name, 'brightness'), 'utf8');
  const clock: LedClock = {
    now: () => now,
    sleep: (ms, signal) => {
      seen.push({ act: read('ACT'), pwr: read('PWR'), ms, at: now });
      now += ms;
      if (seen.length < limit) return new Promise((resolve) => setImmediate(resolve));
      reached();
      return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    },
  };
  return { clock, seen, full, advance: (ms: number) => (now += ms) };
}

describe('LED driver against a plain folder', () => {
  let dir: string;
  const lines: string[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'leds-'));
    mkdirSync(join(dir, 'ACT'));
    mkdirSync(join(dir, 'PWR'));
    lines.length = 0;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const compact = (seen: Seen[]) => seen.map(({ act, pwr, ms }) => `${act}${pwr}:${ms}`);

  it('takes the LEDs from the kernel (trigger none) and shows the working heartbeat: green double blink', async () => {
    const { clock, seen, full } = recordingClock(dir, 8);
    const leds = new Leds(dir, (line) => lines.push(line), clock);
    leds.show({ kind: 'working' });
    await full;
    await leds.stop();
    expect(readFileSync(join(dir, 'ACT', 'trigger'), 'utf8')).toBe('none');
    expect(readFileSync(join(dir, 'PWR', 'trigger'), 'utf8')).toBe('none');
    expect(compact(seen)).toEqual(['10:150', '00:150', '10:150', '00:750', '10:150', '00:150', '10:150', '00:750']);
    expect(lines).toEqual([]);
  });

  it('shows success as green steady', async () => {
    const { clock, seen, full } = recordingClock(dir, 3);
    const leds = new Leds(dir, () => undefined, clock);
    leds.show({ kind: 'success' });
    await full;
    await leds.stop();
    expect(compact(seen)).toEqual(['10:1000', '10:1000', '10:1000']);
  });

  it.each(['card_too_small', 'network'] as const)(
    'blinks red the failure code of %s, green off, then pauses, round after round',
    async (code) => {
      const blinks = FAILURE_CODES[code].blinks;
      const round = [...Array.from({ length: blinks }, () => ['01:300', '00:300']).flat(), '00:1500'];
      const { clock, seen, full } = recordingClock(dir, round.length * 2);
      const leds = new Leds(dir, () => undefined, clock);
      leds.show({ kind: 'failure', code });
      await full;
      await leds.stop();
      expect(compact(seen)).toEqual([...round, ...round]);
      expect(seen.filter((step) => step.pwr === '1')).toHaveLength(2 * blinks);
    },
  );

  it(`identify alternates green and red fast for ${IDENTIFY_SECONDS} s, then returns to the failure code`, async () => {
    const identifySteps = (IDENTIFY_SECONDS * 1000) / 100;
    const { clock, seen, full } = recordingClock(dir, identifySteps + 40);
    const leds = new Leds(dir, () => undefined, clock);
    leds.show({ kind: 'failure', code: 'card_too_small' });
    leds.identify();
    await full;
    await leds.stop();
    const identify = seen.slice(0, identifySteps);
    expect(new Set(compact(identify))).toEqual(new Set(['10:100', '01:100']));
    expect(compact(identify.slice(0, 4))).toEqual(['10:100', '01:100', '10:100', '01:100']);
    expect(identify.at(-1)!.at + 100).toBe(IDENTIFY_SECONDS * 1000);
    // Then the 5-blink failure code again.
    expect(compact(seen.slice(identifySteps, identifySteps + 11))).toEqual([
      ...Array.from({ length: 5 }, () => ['01:300', '00:300']).flat(),
      '00:1500',
    ]);
  });

  it('turns itself off with one line when the folder has no ACT and PWR LEDs', async () => {
    rmSync(join(dir, 'PWR'), { recursive: true });
    const { clock, seen } = recordingClock(dir, 5);
    const leds = new Leds(dir, (line) => lines.push(line), clock);
    leds.show({ kind: 'working' });
    leds.show({ kind: 'failure', code: 'network' });
    await leds.stop();
    expect(seen).toEqual([]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^LEDs off: .* has no usable ACT and PWR/);
  });
});
