import { Injectable } from '@nestjs/common';
import type { CanaryOutcome } from '@rpi-deploy/contracts';

/** How the units that got `imageId` since `since` did. */
export type CanaryOutcomeReader = (imageId: number, since: Date) => Promise<CanaryOutcome>;

/**
 * Deployments know how the canary's units did, but Images may not depend on Deployments (the
 * dependency runs the other way), so Deployments registers the answer here when it starts.
 */
@Injectable()
export class CanaryOutcomes {
  private reader?: CanaryOutcomeReader;

  answeredBy(reader: CanaryOutcomeReader): void {
    this.reader = reader;
  }

  /** All zero when no deployments module runs (the CLI's tools). */
  of(imageId: number, since: Date): Promise<CanaryOutcome> {
    return this.reader
      ? this.reader(imageId, since)
      : Promise.resolve({ units: 0, installing: 0, installed: 0, booted: 0, failed: 0 });
  }
}
