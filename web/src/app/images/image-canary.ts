import { ChangeDetectionStrategy, Component, computed, input, output, signal } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatSelectModule } from '@angular/material/select';
import { CANARY_MAX_UNITS, type CanaryDto, type ImageDto, type ProductCode } from '@rpi-deploy/contracts';

export type CanaryAction =
  { kind: 'start'; imageId: number; units: number } | { kind: 'promote' | 'abandon'; product: ProductCode };

/** A product's canary: how its units did, promote or abandon; or a form to start one. */
@Component({
  selector: 'app-image-canary',
  imports: [FormsModule, MatButtonModule, MatFormFieldModule, MatInputModule, MatSelectModule],
  templateUrl: './image-canary.html',
  styleUrl: './image-canary.scss',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ImageCanary {
  readonly product = input.required<ProductCode>();
  readonly images = input.required<ImageDto[]>();
  readonly canary = input<CanaryDto | undefined>();
  readonly canChange = input(false);
  readonly act = output<CanaryAction>();

  protected readonly maxUnits = CANARY_MAX_UNITS;
  /** Versions that could go to a canary: every one but the active. */
  protected readonly candidates = computed(() => this.images().filter((image) => !image.active));
  protected readonly imageId = signal<number | null>(null);
  protected readonly units = signal(1);

  protected start(): void {
    const imageId = this.imageId();
    if (imageId !== null) this.act.emit({ kind: 'start', imageId, units: this.units() });
  }
}
