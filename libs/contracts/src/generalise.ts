/**
 * Generalising a version: on the server's copy, what must differ per unit is cleared always
 * (GENERALISE_ALWAYS_CLEARED); what else looks unit-specific is listed as candidates the
 * maintainer keeps or clears one by one. The result is stored as a new version.
 */

/** Why a candidate looks unit-specific. */
export const GENERALISE_CANDIDATE_KINDS = [
  'log',
  'shell-history',
  'network-connection',
  'cloud-init',
  'machine-state',
] as const;
export type GeneraliseCandidateKind = (typeof GENERALISE_CANDIDATE_KINDS)[number];

/** A file or folder of the root file system the maintainer may clear. */
export interface GeneraliseCandidate {
  /** Absolute path in the root file system; a folder is cleared with everything in it. */
  path: string;
  kind: GeneraliseCandidateKind;
  /** `empty`: the file stays (owner and mode kept) with no content; `remove`: it goes. */
  action: 'empty' | 'remove';
  /** Bytes of the files it covers. */
  bytes: number;
}

/** Always cleared, whatever the maintainer picks: what the installer writes anew for each unit. */
export interface GeneraliseAlwaysCleared {
  path: string;
  what: string;
}

/** `GET /api/images/:id/generalise`: what generalising this version would clear. */
export interface GeneralisePlanDto {
  imageId: number;
  version: string;
  /** What is cleared always; present paths only (SSH host keys as found). */
  always: GeneraliseAlwaysCleared[];
  candidates: GeneraliseCandidate[];
}

/** `POST /api/images/:id/generalise`: the new version, and the candidates to clear (by path). */
export interface GeneraliseBody {
  version: string;
  description?: string;
  clear: string[];
}
