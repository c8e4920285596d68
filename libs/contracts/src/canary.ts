import type { ProductCode } from './products';

/** At most this many units, or this many named serials, in one canary. */
export const CANARY_MAX_UNITS = 1000;

/** `POST /api/images/:id/canary`: the image goes to the next `units` configs, or to the named serials. */
export interface CanaryStartBody {
  units?: number;
  serials?: string[];
}

/** How the canary's units did: their deployments of the canary image since it started. */
export interface CanaryOutcome {
  units: number;
  installing: number;
  installed: number;
  booted: number;
  failed: number;
}

export interface CanaryDto {
  product: ProductCode;
  imageId: number;
  version: string;
  /** The next N configs get it; null when only named serials do. */
  units: number | null;
  serials: string[];
  /** Configs that got it by count so far. */
  assigned: number;
  startedAt: string;
  startedBy: string;
  outcome: CanaryOutcome;
}
