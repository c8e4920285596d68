/** Top-level keys this installer owns in user-data; a master's values for them are replaced. */
const OWNED_USER_DATA_KEYS = /^(hostname|fqdn|preserve_hostname|manage_etc_hosts)\s*:/;

/**
 * user-data with this unit's hostname. A `#cloud-config` document keeps everything else (users,
 * packages, ...); a missing one is created. Anything else (a script, MIME multi-part) is not ours
 * to rewrite: undefined, and /etc/hostname written directly still names the unit.
 */
export function userDataWithHostname(userData: string | undefined, hostname: string): string | undefined {
  const owned = `hostname: ${hostname}\nmanage_etc_hosts: true\n`;
  if (userData === undefined) return `#cloud-config\n${owned}`;
  if (!userData.startsWith('#cloud-config')) return undefined;
  const kept = userData.split('\n').filter((line) => !OWNED_USER_DATA_KEYS.test(line));
  while (kept.at(-1) === '') kept.pop();
  return `${kept.join('\n')}\n${owned}`;
}

/** meta-data with a new instance id and the hostname; other keys stay. */
export function metaDataWithInstance(metaData: string | undefined, instanceId: string, hostname: string): string {
  const kept = (metaData ?? '')
    .split('\n')
    .filter((line) => line.trim() !== '' && !/^(instance-id|local-hostname)\s*:/.test(line));
  return [`instance-id: ${instanceId}`, `local-hostname: ${hostname}`, ...kept, ''].join('\n');
}
