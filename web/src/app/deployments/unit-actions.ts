import { ChangeDetectionStrategy, Component, computed, DestroyRef, inject, input, signal } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatDialog } from '@angular/material/dialog';
import { MatIconModule } from '@angular/material/icon';
import { MatMenuModule } from '@angular/material/menu';
import type { DeploymentDto, UnitCommandDto, UnitCommandName } from '@rpi-deploy/contracts';
import { filter, switchMap, take, takeWhile, timer, type Subscription } from 'rxjs';
import { DeploymentsApi } from '../api/deployments-api';
import { AuthService } from '../auth/auth.service';
import { apiErrorMessage } from '../http/api-error-message';
import { confirmAction } from '../shared/confirm-dialog';

const LABELS: Record<UnitCommandName, string> = { identify: 'Identify', retry: 'Retry', poweroff: 'Power off' };
/** How often the card asks how far the command got, and for how long (a waiting unit polls every 2 s). */
const FOLLOW_EVERY_MS = 1000;
const FOLLOW_FOR_MS = 30_000;

/**
 * The unit card's action menu for a failed unit that waits (operators and admins): identify
 * (it blinks for 30 s), retry, power off. The command is queued by the server and picked up by the
 * unit within seconds; the card follows it from queued to delivered to done.
 */
@Component({
  selector: 'app-unit-actions',
  imports: [MatButtonModule, MatIconModule, MatMenuModule],
  template: `
    @if (available()) {
      <div class="actions">
        <button
          mat-stroked-button
          type="button"
          [matMenuTriggerFor]="menu"
          [attr.aria-label]="'Actions for ' + deployment().hostname"
        >
          <mat-icon aria-hidden="true">more_vert</mat-icon> Actions
        </button>
        <mat-menu #menu="matMenu">
          <button mat-menu-item type="button" (click)="send('identify')">
            <mat-icon aria-hidden="true">emoji_objects</mat-icon> Identify (blink 30 s)
          </button>
          <button mat-menu-item type="button" (click)="send('retry')">
            <mat-icon aria-hidden="true">replay</mat-icon> Retry
          </button>
          <button mat-menu-item type="button" (click)="send('poweroff')">
            <mat-icon aria-hidden="true">power_settings_new</mat-icon> Power off
          </button>
        </mat-menu>
        @if (sent(); as sent) {
          <span class="command-state" role="status">{{ label(sent.command) }}: {{ sent.state }}</span>
        }
        @if (problem(); as problem) {
          <span class="command-problem" role="alert">{{ problem }}</span>
        }
      </div>
    }
  `,
  styles: `
    .actions {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: 0.5rem;
    }
    .command-problem {
      color: var(--mat-sys-error);
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class UnitActions {
  readonly deployment = input.required<DeploymentDto>();

  private readonly api = inject(DeploymentsApi);
  private readonly auth = inject(AuthService);
  private readonly dialog = inject(MatDialog);
  private readonly destroyRef = inject(DestroyRef);
  private following?: Subscription;

  protected readonly available = computed(() => this.deployment().status === 'failed' && this.auth.hasRole('operator'));
  protected readonly sent = signal<UnitCommandDto | null>(null);
  protected readonly problem = signal<string | null>(null);

  constructor() {
    this.destroyRef.onDestroy(() => this.following?.unsubscribe());
  }

  protected label(command: UnitCommandName): string {
    return LABELS[command];
  }

  protected send(command: UnitCommandName): void {
    const { hostname } = this.deployment();
    if (command !== 'poweroff') return this.queue(command);
    confirmAction(this.dialog, {
      title: `Power off ${hostname}?`,
      message: 'The unit switches off; it starts again only when its power is cycled.',
      confirmLabel: 'Power off',
    })
      .pipe(filter(Boolean), take(1))
      .subscribe(() => this.queue(command));
  }

  private queue(command: UnitCommandName): void {
    const id = this.deployment().id;
    this.problem.set(null);
    this.following?.unsubscribe();
    this.api.sendCommand(id, command).subscribe({
      next: (queued) => {
        this.sent.set(queued);
        this.follow(id, queued.id);
      },
      error: (error: unknown) => this.problem.set(apiErrorMessage(error)),
    });
  }

  private follow(deploymentId: string, commandId: number): void {
    this.following = timer(FOLLOW_EVERY_MS, FOLLOW_EVERY_MS)
      .pipe(
        takeWhile((tick) => (tick + 1) * FOLLOW_EVERY_MS <= FOLLOW_FOR_MS),
        switchMap(() => this.api.commands(deploymentId)),
      )
      .subscribe((commands) => {
        const current = commands.find((one) => one.id === commandId);
        if (current) this.sent.set(current);
        if (current?.state === 'done') this.following?.unsubscribe();
      });
  }
}
