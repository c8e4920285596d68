import { access, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { failurePattern, IDENTIFY_SECONDS, LED_PATTERNS, type FailureCode, type LedStep } from '@rpi-deploy/contracts';

/** Time as the LED driver sees it: the real clock, or a test's. */
export interface LedClock {
  now(): number;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const REAL_CLOCK: LedClock = {
  now: () => Date.now(),
  sleep: (ms, signal) => delay(ms, undefined, { signal, ref: false }).catch(() => undefined),
};

/** The Pi 5's LED class folders: green activity and red power. */
export const LED_NAMES = { act: 'ACT', pwr: 'PWR' } as const;

export type UnitState = { kind: 'working' } | { kind: 'success' } | { kind: 'failure'; code: FailureCode };

/**
 * Shows the unit's state on its two LEDs (LED_PATTERNS in the contracts, printed on the
 * dashboard's LED codes card) by writing the kernel's LED class files: `trigger` = none once, so
 * the kernel stops driving the LED, then `brightness` 1/0 step by step. A folder without the LEDs
 * (a test machine, a board without them) or a write the kernel refuses turns the driver into a
 * no-op after one line in the log: the LEDs never stop an install.
 */
export class Leds {
  private base: readonly LedStep[] = [];
  private identifyUntil = 0;
  private playing?: AbortController;
  private loop?: Promise<void>;
  private available?: Promise<boolean>;

  constructor(
    private readonly dir: string,
    private readonly log: (line: string) => void,
    private readonly clock: LedClock = REAL_CLOCK,
  ) {}

  show(state: UnitState): void {
    this.base = state.kind === 'failure' ? failurePattern(state.code) : LED_PATTERNS[state.kind];
    this.restart();
  }

  /** The identify pattern for IDENTIFY_SECONDS, then back to the state shown before. */
  identify(seconds = IDENTIFY_SECONDS): void {
    this.identifyUntil = this.clock.now() + seconds * 1000;
    this.restart();
  }

  /** Stops blinking and leaves the LEDs as they are; resolves once the last write is done. */
  async stop(): Promise<void> {
    this.playing?.abort();
    await this.loop;
  }

  private restart(): void {
    this.playing?.abort();
    const playing = new AbortController();
    this.playing = playing;
    const previous = this.loop ?? Promise.resolve();
    this.loop = previous.then(() => this.play(playing.signal));
  }

  private async play(signal: AbortSignal): Promise<void> {
    if (!(await (this.available ??= this.prepare()))) return;
    while (!signal.aborted) {
      const pattern = this.clock.now() < this.identifyUntil ? LED_PATTERNS.identify : this.base;
      if (pattern.length === 0) return;
      for (const step of pattern) {
        if (signal.aborted || !(await this.write(step))) return;
        await this.clock.sleep(step.ms, signal);
      }
    }
  }

  private async prepare(): Promise<boolean> {
    try {
      for (const name of Object.values(LED_NAMES)) await access(join(this.dir, name));
      for (const name of Object.values(LED_NAMES)) await writeFile(join(this.dir, name, 'trigger'), 'none');
      return true;
    } catch (error) {
      this.log(
        `LEDs off: ${this.dir} has no usable ${Object.values(LED_NAMES).join(' and ')} (${(error as Error).message})`,
      );
      return false;
    }
  }

  private async write(step: LedStep): Promise<boolean> {
    try {
      await writeFile(join(this.dir, LED_NAMES.act, 'brightness'), step.act ? '1' : '0');
      await writeFile(join(this.dir, LED_NAMES.pwr, 'brightness'), step.pwr ? '1' : '0');
      return true;
    } catch (error) {
      this.log(`LEDs off: writing ${this.dir} failed (${(error as Error).message})`);
      this.available = Promise.resolve(false);
      return false;
    }
  }
}
