import { ChangeDetectionStrategy, Component, inject, type Signal } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MAT_DIALOG_DATA, MatDialogModule } from '@angular/material/dialog';
import type { LiveUnit } from '../live-units';
import { UnitCard } from '../unit-card';

export interface UnitCardDialogData {
  /** The unit as it is now: the card keeps updating while the dialog is open. */
  unit: Signal<LiveUnit | undefined>;
  now: Signal<number>;
}

/** A wall tile opened: the unit's full dashboard card, with its actions. */
@Component({
  selector: 'app-unit-card-dialog',
  imports: [MatButtonModule, MatDialogModule, UnitCard],
  template: `
    <mat-dialog-content>
      @if (data.unit(); as unit) {
        <app-unit-card [unit]="unit" [now]="data.now()" />
      } @else {
        <p>This unit is no longer on the dashboard.</p>
      }
    </mat-dialog-content>
    <mat-dialog-actions align="end">
      <button mat-button type="button" mat-dialog-close>Close</button>
    </mat-dialog-actions>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class UnitCardDialog {
  protected readonly data = inject<UnitCardDialogData>(MAT_DIALOG_DATA);
}
