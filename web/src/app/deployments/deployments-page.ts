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
import { MatSortModule, type Sort } from '@angular/material/sort';
import { MatTableModule } from '@angular/material/table';
import { RouterLink } from '@angular/router';
import {
  DEPLOYMENT_STATUSES,
  PRODUCT_CODES,
  type DeploymentDto,
  type DeploymentFilter,
  type DeploymentPage,
  type DeploymentSortKey,
} from '@rpi-deploy/contracts';
import { DeploymentsApi } from '../api/deployments-api';
import { formatDuration } from '../format/units';
import { apiErrorMessage } from '../http/api-error-message';
import { Loadable } from '../http/loadable';
import { Notice } from '../shared/notice';
import { saveBlob } from '../shared/save-blob';
import { StatusChip } from '../shared/status-chip';
import { toDeploymentFilter } from './deployment-filter-form';
import { durationSeconds } from './deployment-duration';

/** The deployment history: filter, sort, page through, export. */
@Component({
  selector: 'app-deployments-page',
  imports: [
    DatePipe,
    MatButtonModule,
    MatFormFieldModule,
    MatIconModule,
    MatInputModule,
    MatPaginatorModule,
    MatProgressBarModule,
    MatSelectModule,
    MatSortModule,
    MatTableModule,
    Notice,
    ReactiveFormsModule,
    RouterLink,
    StatusChip,
  ],
  templateUrl: './deployments-page.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class DeploymentsPage {
  private readonly api = inject(DeploymentsApi);
  private readonly document = inject(DOCUMENT);

  protected readonly statuses = DEPLOYMENT_STATUSES;
  protected readonly products = PRODUCT_CODES;
  protected readonly columns = [
    'hostname',
    'status',
    'venue',
    'product',
    'serial',
    'image',
    'startedAt',
    'duration',
    'error',
  ];
  protected readonly form = inject(NonNullableFormBuilder).group({
    status: [''],
    venue: [''],
    product: [''],
    fromDate: [''],
    toDate: [''],
  });
  protected readonly filter = signal<DeploymentFilter>({});
  protected readonly pageIndex = signal(0);
  protected readonly pageSize = signal(25);
  protected readonly sort = signal<Sort>({ active: '', direction: '' });
  /** The page of the history the filter, sort order and paginator ask for. */
  protected readonly history = new Loadable<DeploymentPage | null>(() => {
    const { active, direction } = this.sort();
    const order = direction && active ? { sort: active as DeploymentSortKey, order: direction } : undefined;
    return this.api.list(this.filter(), this.pageIndex() + 1, this.pageSize(), order);
  }, null);
  protected readonly items = computed(() => this.history.value()?.items ?? []);
  protected readonly total = computed(() => this.history.value()?.total ?? 0);
  protected readonly exporting = signal(false);
  protected readonly exportError = signal<string | null>(null);

  constructor() {
    this.history.reload();
  }

  protected applyFilter(): void {
    this.filter.set(toDeploymentFilter(this.form.getRawValue()));
    this.pageIndex.set(0);
    this.history.reload();
  }

  protected clearFilter(): void {
    this.form.reset();
    this.applyFilter();
  }

  /** The server sorts the whole history, so a new order starts again at the first page. */
  protected sortBy(sort: Sort): void {
    this.sort.set(sort);
    this.pageIndex.set(0);
    this.history.reload();
  }

  protected page(event: PageEvent): void {
    this.pageIndex.set(event.pageIndex);
    this.pageSize.set(event.pageSize);
    this.history.reload();
  }

  protected duration(deployment: DeploymentDto): string {
    return formatDuration(durationSeconds(deployment));
  }

  protected exportCsv(): void {
    this.exporting.set(true);
    this.api.exportCsv(this.filter()).subscribe({
      next: (csv) => {
        this.exporting.set(false);
        this.exportError.set(null);
        saveBlob(this.document, csv, 'deployments.csv');
      },
      error: (error: unknown) => {
        this.exporting.set(false);
        this.exportError.set(apiErrorMessage(error));
      },
    });
  }
}
