import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, computed, input, output } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatIconModule } from '@angular/material/icon';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatTableModule } from '@angular/material/table';
import { MatTooltipModule } from '@angular/material/tooltip';
import { type ImageConversionDto, type ImageDto, type ImageRecompressionDto } from '@rpi-deploy/contracts';
import { formatPercent, formatSize } from '../format/units';
import { chunkFigures, type ChunkFigures } from './chunk-figures';

export interface ImageAction {
  image: ImageDto;
  action: 'activate' | 'delete' | 'convert' | 'notes' | 'changes' | 'generalise';
}

/** The versions of one product, newest first, with the active one marked. */
@Component({
  selector: 'app-image-versions-table',
  imports: [DatePipe, MatButtonModule, MatIconModule, MatProgressBarModule, MatTableModule, MatTooltipModule],
  templateUrl: './image-versions-table.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ImageVersionsTable {
  readonly images = input.required<ImageDto[]>();
  readonly product = input.required<string>();
  readonly canChange = input.required<boolean>();
  /** Conversions into chunks as the live events tell them, newer than the images' own `conversion`. */
  readonly conversions = input<ReadonlyMap<number, ImageConversionDto>>(new Map());
  /** Background recompressions of captured chunks as the live events tell them, newer than the images' own. */
  readonly recompressions = input<ReadonlyMap<number, ImageRecompressionDto>>(new Map());
  readonly act = output<ImageAction>();
  protected readonly columns = computed(() => [
    'version',
    'size',
    'coverage',
    'chunks',
    'sha256',
    'uploaded',
    'release',
    ...(this.canChange() ? ['actions'] : []),
  ]);
  protected readonly bytes = formatSize;

  protected figures(image: ImageDto): ChunkFigures | null {
    return image.chunks ? chunkFigures(image.mappedBytes, image.chunks) : null;
  }

  protected conversionOf(image: ImageDto): ImageConversionDto | null {
    return this.conversions().get(image.id) ?? image.conversion;
  }

  protected converting(image: ImageDto): boolean {
    const state = this.conversionOf(image)?.state;
    return state === 'queued' || state === 'running';
  }

  /** The image's recompression while it is queued, running or failed (done is not worth a line). */
  protected recompressionOf(image: ImageDto): ImageRecompressionDto | null {
    const recompression = this.recompressions().get(image.id) ?? image.recompression;
    return recompression?.state === 'done' ? null : recompression;
  }

  protected percentDone(conversion: ImageConversionDto): number {
    return conversion.totalBytes > 0 ? (conversion.doneBytes / conversion.totalBytes) * 100 : 0;
  }

  protected coverage(image: ImageDto): string {
    return image.size > 0 ? formatPercent(image.mappedBytes / image.size) : '–';
  }
}
