/** What the demo prints: a line per unit state change, a fleet overview now and then, a summary. */
import type { DeploymentDto, StatusReport } from '@rpi-deploy/contracts';
import { SCENARIOS } from './fleet-plan';
import type { SimulatedUnit, UnitListener } from './simulated-unit';

export class FleetConsole implements UnitListener {
  private readonly started = performance.now();

  constructor(private readonly write: (line: string) => void = (line) => console.log(line)) {}

  line(text: string): void {
    this.write(`[${this.clock()}] ${text}`);
  }

  onHostname(unit: SimulatedUnit): void {
    this.line(`${label(unit)} got its configuration`);
  }

  onPhase(unit: SimulatedUnit, report: StatusReport): void {
    if (report.status === 'failed') return this.line(`${label(unit)} FAILED: ${report.error ?? report.message ?? '?'}`);
    if (report.status === 'success') {
      const seconds = unit.startedAt === undefined ? 0 : (performance.now() - unit.startedAt) / 1000;
      return this.line(`${label(unit)} success after ${seconds.toFixed(0)} s`);
    }
    // Phase messages carry paths and byte counts: the unit's log has them, the console stays short.
    this.line(`${label(unit)} ${report.status}`);
  }

  onNote(unit: SimulatedUnit, note: string): void {
    this.line(`${label(unit)} ${note}`);
  }

  /** One line counting the units by state, e.g. "3 waiting, 4 downloading (avg 41%), 2 success". */
  overview(units: SimulatedUnit[]): void {
    const counts = new Map<string, number[]>();
    for (const unit of units) {
      const state = unit.result
        ? unit.result.status
        : unit.startedAt === undefined
          ? 'waiting'
          : (unit.status ?? 'booting');
      counts.set(state, [...(counts.get(state) ?? []), unit.progress]);
    }
    const parts = [...counts].map(([state, progress]) =>
      state === 'downloading'
        ? `${progress.length} downloading (avg ${Math.round(progress.reduce((a, b) => a + b, 0) / progress.length)}%)`
        : `${progress.length} ${state}`,
    );
    this.line(`fleet: ${parts.join(', ')}`);
  }

  /**
   * The end of the run as the server saw it: each unit's latest deployment next to what the demo
   * planned for it. Returns whether every unit ended as planned.
   */
  summary(units: SimulatedUnit[], deployments: DeploymentDto[]): boolean {
    const rows = units.map((unit) => {
      const latest = deployments
        .filter((d) => d.serial === unit.plan.serial)
        .sort((a, b) => b.startedAt.localeCompare(a.startedAt))[0];
      const expected = SCENARIOS[unit.plan.scenario].outcome;
      const status = latest?.status ?? unit.result?.status ?? 'never started';
      const downloaded = unit.result?.imageBytes;
      return {
        ok: status === expected,
        cells: [
          unit.number,
          latest?.hostname ?? unit.hostname ?? '-',
          SCENARIOS[unit.plan.scenario].label,
          status === expected ? status : `${status} (expected ${expected})`,
          unit.result ? `${unit.result.seconds.toFixed(0)} s` : '-',
          downloaded ? `${(downloaded / 2 ** 20).toFixed(1)} MiB` : '-',
          latest?.error ?? '',
        ],
      };
    });
    const header = ['unit', 'hostname', 'scenario', 'result', 'time', 'downloaded', 'error'];
    const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => row.cells[c].length)));
    const format = (cells: string[]) =>
      cells
        .map((cell, c) => (c === cells.length - 1 ? cell : cell.padEnd(widths[c])))
        .join('  ')
        .trimEnd();
    this.write('');
    this.write(format(header));
    for (const row of rows) this.write(format(row.cells));
    const success = rows.filter((row) => row.cells[3] === 'success').length;
    const failed = rows.filter((row) => row.cells[3] === 'failed').length;
    const unexpected = rows.filter((row) => !row.ok).length;
    this.write('');
    this.line(
      `${units.length} unit${units.length === 1 ? '' : 's'}: ${success} success, ${failed} failed, ` +
        (unexpected === 0 ? 'every one as planned' : `${unexpected} NOT as planned (see the unit logs)`),
    );
    return unexpected === 0;
  }

  private clock(): string {
    const seconds = Math.floor((performance.now() - this.started) / 1000);
    return `${String(Math.floor(seconds / 60)).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')}`;
  }
}

function label(unit: SimulatedUnit): string {
  return `unit ${unit.number} ${(unit.hostname ?? unit.plan.serial).padEnd(16)}`;
}
