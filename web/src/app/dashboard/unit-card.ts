import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';
import { MatIconModule } from '@angular/material/icon';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { RouterLink } from '@angular/router';
import { waitingInLine } from '@rpi-deploy/contracts';
import { FailureCodeNote } from '../deployments/failure-code-note';
import { BootConfirmationNote } from '../deployments/boot-confirmation-note';
import { ImpersonationWarningNote } from '../deployments/impersonation-warning';
import { UnitActions } from '../deployments/unit-actions';
import { formatDuration, formatRate, formatSize } from '../format/units';
import { ByteSources } from '../shared/byte-sources';
import { StatusChip } from '../shared/status-chip';
import { elapsedSeconds, isFinished, type LiveUnit } from './live-units';

/** One unit on the dashboard: who it is, where it is, how fast, how long, and what went wrong. */
@Component({
  selector: 'app-unit-card',
  imports: [
    ByteSources,
    FailureCodeNote,
    BootConfirmationNote,
    ImpersonationWarningNote,
    MatIconModule,
    MatProgressBarModule,
    RouterLink,
    StatusChip,
    UnitActions,
  ],
  templateUrl: './unit-card.html',
  styleUrl: './unit-card.scss',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class UnitCard {
  readonly unit = input.required<LiveUnit>();
  /** The page's clock, so elapsed times tick without one timer per card. */
  readonly now = input.required<number>();

  protected readonly deployment = computed(() => this.unit().deployment);
  protected readonly headingId = computed(() => `unit-${this.deployment().id}`);
  protected readonly finished = computed(() => isFinished(this.deployment().status));
  protected readonly elapsed = computed(() => formatDuration(elapsedSeconds(this.deployment(), this.now())));
  protected readonly rate = computed(() => (this.unit().rate === null ? null : formatRate(this.unit().rate)));
  protected readonly eta = computed(() =>
    this.unit().etaSeconds === null ? null : formatDuration(this.unit().etaSeconds),
  );
  /** Bytes of the current phase; once finished they only describe the last phase, so they are left out. */
  protected readonly bytes = computed(() => {
    const { bytesDone, bytesTotal } = this.deployment();
    if (this.finished() || bytesDone === null || bytesTotal === null) return null;
    return `${formatSize(bytesDone)} of ${formatSize(bytesTotal)}`;
  });
  /** "waiting for the network, 4th in line" while the server's transfer cap holds the unit back. */
  protected readonly inLine = computed(() => {
    const position = this.deployment().queuePosition;
    return position === null ? null : waitingInLine(position);
  });
  /** Where the unit's bytes came from: the server and neighbouring units (live while it downloads). */
  protected readonly sources = computed(() => {
    const { bytesFromServer, bytesFromPeers } = this.deployment();
    if (bytesFromServer === null && bytesFromPeers === null) return null;
    return { server: bytesFromServer ?? 0, peers: bytesFromPeers ?? 0 };
  });
}
