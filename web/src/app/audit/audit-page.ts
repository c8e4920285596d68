import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, computed, DOCUMENT, inject, signal } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatIconModule } from '@angular/material/icon';
import { MatInputModule } from '@angular/material/input';
import { MatPaginatorModule, type PageEvent } from '@angular/material/paginator';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatSelectModule } from '@angular/material/select';
import { MatTableModule } from '@angular/material/table';
import { AUDIT_ACTIONS, type AuditEntryDto, type AuditPage as AuditPageDto } from '@rpi-deploy/contracts';
import { AuditApi, type AuditFilter } from '../api/audit-api';
import { apiErrorMessage } from '../http/api-error-message';
import { Loadable } from '../http/loadable';
import { Notice } from '../shared/notice';
import { saveBlob } from '../shared/save-blob';
import { auditChanges, type AuditChange } from './audit-changes';
import { toAuditFilter } from './audit-filter-form';

/** The audit log (admins only): who changed what, when and from where; filter, page through, export. */
@Component({
  selector: 'app-audit-page',
  imports: [
    DatePipe,
    MatButtonModule,
    MatFormFieldModule,
    MatIconModule,
    MatInputModule,
    MatPaginatorModule,
    MatProgressBarModule,
    MatSelectModule,
    MatTableModule,
    Notice,
    ReactiveFormsModule,
  ],
  templateUrl: './audit-page.html',
  styleUrl: './audit-page.scss',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class AuditPage {
  private readonly api = inject(AuditApi);
  private readonly document = inject(DOCUMENT);

  protected readonly actions = AUDIT_ACTIONS;
  protected readonly columns = ['at', 'actor', 'ip', 'action', 'target', 'changes'];
  protected readonly form = inject(NonNullableFormBuilder).group({
    actor: [''],
    action: [''],
    target: [''],
    fromDate: [''],
    toDate: [''],
  });
  protected readonly filter = signal<AuditFilter>({});
  protected readonly pageIndex = signal(0);
  protected readonly pageSize = signal(25);
  protected readonly log = new Loadable<AuditPageDto | null>(
    () => this.api.list(this.filter(), this.pageIndex() + 1, this.pageSize()),
    null,
  );
  protected readonly items = computed(() => this.log.value()?.items ?? []);
  protected readonly total = computed(() => this.log.value()?.total ?? 0);
  protected readonly exporting = signal(false);
  protected readonly exportError = signal<string | null>(null);

  constructor() {
    this.log.reload();
  }

  protected applyFilter(): void {
    this.filter.set(toAuditFilter(this.form.getRawValue()));
    this.pageIndex.set(0);
    this.log.reload();
  }

  protected clearFilter(): void {
    this.form.reset();
    this.applyFilter();
  }

  protected page(event: PageEvent): void {
    this.pageIndex.set(event.pageIndex);
    this.pageSize.set(event.pageSize);
    this.log.reload();
  }

  protected changes(entry: AuditEntryDto): AuditChange[] {
    return auditChanges(entry.before, entry.after);
  }

  protected exportCsv(): void {
    this.exporting.set(true);
    this.api.exportCsv(this.filter()).subscribe({
      next: (csv) => {
        this.exporting.set(false);
        this.exportError.set(null);
        saveBlob(this.document, csv, 'audit.csv');
      },
      error: (error: unknown) => {
        this.exporting.set(false);
        this.exportError.set(apiErrorMessage(error));
      },
    });
  }
}
