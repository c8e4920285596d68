/** Longest release notes of one image version (markdown, characters). */
export const RELEASE_NOTES_MAX_LENGTH = 20_000;

/** `PUT /api/images/:id/notes`; empty text clears them. */
export interface ReleaseNotesBody {
  notes: string;
}

export interface PackageUpgrade {
  name: string;
  from: string;
  to: string;
}

/** Installed packages (dpkg status) of two versions compared; versions in Debian order. */
export interface PackageChanges {
  added: { name: string; version: string }[];
  removed: { name: string; version: string }[];
  upgraded: PackageUpgrade[];
  downgraded: PackageUpgrade[];
  unchanged: number;
}

/** `GET /api/images/:id/changes?from=OTHER`: what changed from image `from` to image `to`. */
export interface ImageChangesDto {
  from: { id: number; version: string; size: number; mappedBytes: number; storedBytes: number | null };
  to: { id: number; version: string; size: number; mappedBytes: number; storedBytes: number | null };
  /** Mapped bytes of `to` in chunks `from` also has; null unless both are in the chunk store. */
  sharedBytes: number | null;
  /** Null when either image carries no /var/lib/dpkg/status. */
  packages: PackageChanges | null;
}
