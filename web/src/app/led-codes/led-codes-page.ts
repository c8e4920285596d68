import { ChangeDetectionStrategy, Component } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatIconModule } from '@angular/material/icon';
import { FAILURE_CODE_NAMES, FAILURE_CODES, LED_STATE_DESCRIPTIONS } from '@rpi-deploy/contracts';

/**
 * What a unit's LEDs say, as a card to print and lay on the bench: the patterns of each state
 * and, for a failure, the number of red blinks of each failure code with what to do.
 */
@Component({
  selector: 'app-led-codes-page',
  imports: [MatButtonModule, MatIconModule],
  template: `
    <section class="led-card" aria-labelledby="led-codes-title">
      <header>
        <h2 id="led-codes-title">LED codes</h2>
        <button mat-stroked-button type="button" class="no-print" (click)="print()">
          <mat-icon aria-hidden="true">print</mat-icon> Print
        </button>
      </header>
      <h3>States (green ACT, red PWR)</h3>
      <ul class="states">
        @for (state of states; track state) {
          <li>{{ state }}</li>
        }
      </ul>
      <h3>Failure codes: count the red blinks between pauses</h3>
      <table>
        <thead>
          <tr>
            <th scope="col">Red blinks</th>
            <th scope="col">Failure</th>
            <th scope="col">Class</th>
            <th scope="col">What to do</th>
          </tr>
        </thead>
        <tbody>
          @for (code of codes; track code.name) {
            <tr [attr.data-code]="code.name">
              <td class="blinks">{{ code.blinks }}</td>
              <td>{{ code.title }}</td>
              <td>{{ code.failureClass === 'transient' ? 'retries by itself' : 'stops and waits' }}</td>
              <td>{{ code.action }}</td>
            </tr>
          }
        </tbody>
      </table>
    </section>
  `,
  styles: `
    .led-card {
      max-width: 60rem;
    }
    header {
      display: flex;
      align-items: center;
      justify-content: space-between;
    }
    table {
      border-collapse: collapse;
      width: 100%;
    }
    th,
    td {
      border: 1px solid var(--mat-sys-outline-variant);
      padding: 0.4rem 0.6rem;
      text-align: left;
      vertical-align: top;
    }
    .blinks {
      font-size: 1.4rem;
      font-weight: 600;
      text-align: center;
    }
    @media print {
      .no-print {
        display: none;
      }
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class LedCodesPage {
  protected readonly states = Object.values(LED_STATE_DESCRIPTIONS);
  protected readonly codes = FAILURE_CODE_NAMES.map((name) => ({ name, ...FAILURE_CODES[name] }));

  protected print(): void {
    window.print();
  }
}
