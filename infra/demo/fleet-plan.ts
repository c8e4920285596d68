/**
 * Who the simulated units are and what happens to each: identities like real Pi 5 boards and a
 * scenario per unit, spread over the fleet so failures show up among healthy units, not in a block.
 */

/** What the demo does to a unit, and so what the dashboard should end up showing for it. */
export const SCENARIOS = {
  ok: { outcome: 'success', label: 'healthy' },
  'flaky-link': { outcome: 'success', label: 'link drops once, installer resumes' },
  'card-too-small': { outcome: 'failed', label: 'card too small' },
  'corrupt-download': { outcome: 'failed', label: 'one byte corrupted on the wire' },
} as const;
export type Scenario = keyof typeof SCENARIOS;
export type Outcome = (typeof SCENARIOS)[Scenario]['outcome'];

/** The failing scenarios, handed out in turn. */
const FAILURES: Scenario[] = ['card-too-small', 'corrupt-download'];

export interface PlannedUnit {
  /** 1-based, as printed. */
  index: number;
  /** 16 hex digits, as /proc/device-tree/serial-number of a Pi 5. */
  serial: string;
  /** In the Raspberry Pi Ltd range 2c:cf:67 that Pi 5 boards use. */
  mac: string;
  /** Its address on the (simulated) deployment network, inside the default DHCP range. */
  ip: string;
  scenario: Scenario;
}

export interface FleetShape {
  units: number;
  /** Share of units that end `failed` (0-1). */
  failRate: number;
  /** Share of units whose link drops once and that still succeed (0-1). */
  flakyRate: number;
}

export function planFleet(shape: FleetShape): PlannedUnit[] {
  const failing = Math.round(shape.units * shape.failRate);
  const flaky = Math.min(shape.units - failing, Math.round(shape.units * shape.flakyRate));
  const scenarios: Scenario[] = Array.from({ length: shape.units }, () => 'ok');
  // Failures first, then flaky links, each spread evenly over the free places.
  spread(scenarios, failing, (n) => FAILURES[n % FAILURES.length]);
  spread(scenarios, flaky, () => 'flaky-link');
  return scenarios.map((scenario, i) => ({
    index: i + 1,
    serial: `d3e0${(0x5000_0000 + i + 1).toString(16).padStart(12, '0')}`,
    mac: `2c:cf:67:de:${hexByte((i + 1) >> 8)}:${hexByte((i + 1) & 0xff)}`,
    ip: `192.168.151.${100 + (i % 150)}`,
    scenario,
  }));
}

/** Puts `count` scenarios on the still-healthy places, evenly apart (from the second unit on). */
function spread(scenarios: Scenario[], count: number, pick: (n: number) => Scenario): void {
  const free = scenarios.map((scenario, i) => (scenario === 'ok' ? i : -1)).filter((i) => i >= 0);
  for (let n = 0; n < count; n++) {
    const place = free[Math.floor(((n + 0.5) * free.length) / count)];
    scenarios[place] = pick(n);
  }
}

function hexByte(value: number): string {
  return value.toString(16).padStart(2, '0');
}
