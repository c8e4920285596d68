import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, computed, input, output } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatIconModule } from '@angular/material/icon';
import { MatTableModule } from '@angular/material/table';
import { MatTooltipModule } from '@angular/material/tooltip';
import { type ImageDto } from '@rpi-deploy/contracts';
import { formatPercent, formatSize } from '../format/units';

export interface ImageAction {
  image: ImageDto;
  action: 'activate' | 'delete';
}

/** The versions of one product, newest first, with the active one marked. */
@Component({
  selector: 'app-image-versions-table',
  imports: [DatePipe, MatButtonModule, MatIconModule, MatTableModule, MatTooltipModule],
  templateUrl: './image-versions-table.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ImageVersionsTable {
  readonly images = input.required<ImageDto[]>();
  readonly product = input.required<string>();
  readonly canChange = input.required<boolean>();
  readonly act = output<ImageAction>();
  protected readonly columns = computed(() => [
    'version',
    'size',
    'coverage',
    'sha256',
    'uploaded',
    ...(this.canChange() ? ['actions'] : []),
  ]);
  protected readonly bytes = formatSize;

  protected coverage(image: ImageDto): string {
    return image.size > 0 ? formatPercent(image.mappedBytes / image.size) : '–';
  }
}
