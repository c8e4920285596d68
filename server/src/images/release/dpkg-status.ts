import type { PackageChanges } from '@rpi-deploy/contracts';
import { compareDebianVersions } from './debian-version';

/** Installed packages, name (with `:arch` for foreign architectures) to version. */
export type InstalledPackages = Record<string, string>;

/**
 * Installed packages of a dpkg status file (/var/lib/dpkg/status): RFC 822-like stanzas, blank
 * line between them; a package counts when its Status is `install ok installed`.
 */
export function parseDpkgStatus(text: string): InstalledPackages {
  const installed: InstalledPackages = {};
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    for (const line of stanza.split('\n')) {
      const match = /^([A-Za-z][A-Za-z0-9-]*):\s*(.*)$/.exec(line);
      if (match) fields.set((match[1] as string).toLowerCase(), (match[2] as string).trim());
    }
    const name = fields.get('package');
    const version = fields.get('version');
    if (!name || !version || fields.get('status') !== 'install ok installed') continue;
    const architecture = fields.get('architecture');
    // Multi-arch packages installed for two architectures appear twice under one name.
    const key = name in installed && architecture ? `${name}:${architecture}` : name;
    installed[key] = version;
  }
  return installed;
}

export function comparePackages(from: InstalledPackages, to: InstalledPackages): PackageChanges {
  const changes: PackageChanges = { added: [], removed: [], upgraded: [], downgraded: [], unchanged: 0 };
  for (const [name, version] of Object.entries(to)) {
    const before = from[name];
    if (before === undefined) changes.added.push({ name, version });
    else {
      const order = compareDebianVersions(before, version);
      if (order < 0) changes.upgraded.push({ name, from: before, to: version });
      else if (order > 0) changes.downgraded.push({ name, from: before, to: version });
      else changes.unchanged += 1;
    }
  }
  for (const [name, version] of Object.entries(from)) {
    if (!(name in to)) changes.removed.push({ name, version });
  }
  const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
  for (const list of [changes.added, changes.removed, changes.upgraded, changes.downgraded]) list.sort(byName);
  return changes;
}
