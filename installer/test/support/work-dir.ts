import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * A scratch directory under the repository's tmp/ (git-ignored). Not os.tmpdir(): that may be
 * tmpfs, where page-cache behaviour, holes and O_DIRECT differ from the disks cards stand in for.
 */
export function makeWorkDir(name: string): { path: string; remove: () => void } {
  const root = resolve(__dirname, '../../../tmp/installer-tests');
  mkdirSync(root, { recursive: true });
  const path = mkdtempSync(join(root, `${name}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
