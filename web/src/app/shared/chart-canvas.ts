import {
  afterNextRender,
  ChangeDetectionStrategy,
  Component,
  DestroyRef,
  effect,
  ElementRef,
  inject,
  input,
  untracked,
  viewChild,
} from '@angular/core';
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartConfiguration,
} from 'chart.js';

// Only the pieces the pages use, so the rest of chart.js stays out of the bundle.
Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
);

/**
 * One chart.js chart on a canvas. The canvas is an image to assistive technology, described by
 * `label`; pages put the numbers next to the chart as text as well.
 */
@Component({
  selector: 'app-chart-canvas',
  template: `<div class="frame"><canvas #canvas role="img" [attr.aria-label]="label()"></canvas></div>`,
  styles: `
    :host {
      display: block;
    }
    .frame {
      position: relative;
      height: var(--chart-height, 260px);
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ChartCanvas {
  readonly config = input.required<ChartConfiguration>();
  readonly label = input.required<string>();
  private readonly canvas = viewChild.required<ElementRef<HTMLCanvasElement>>('canvas');
  private chart: Chart | null = null;
  private chartType: string | null = null;

  constructor() {
    let rendered = false;
    afterNextRender(() => {
      rendered = true;
      this.draw(untracked(this.config));
    });
    effect(() => {
      const config = this.config();
      if (rendered) this.draw(config);
    });
    inject(DestroyRef).onDestroy(() => this.chart?.destroy());
  }

  private draw(config: ChartConfiguration): void {
    if (this.chart && this.chartType === config.type) {
      this.chart.data = config.data;
      if (config.options) this.chart.options = config.options;
      this.chart.update('none');
      return;
    }
    this.chart?.destroy();
    this.chart = new Chart(this.canvas().nativeElement, config);
    this.chartType = config.type;
  }
}
