/**
 * The boot confirmation the personalisation leaves in the card's root: a systemd unit, enabled
 * for multi-user.target, that runs a small shell script once the product's network is up. The
 * script tells the deployment server this unit booted (`POST /api/status` with `booted` and the
 * deployment's token, from a root-only file), retries for a while, then removes all four files
 * whether it was heard or not. It is a shell script, not part of this installer, because it runs
 * in the product's own system, where only /bin/sh and curl or wget can be counted on.
 */

export const BOOT_CONFIRM_PATHS = {
  script: '/usr/local/sbin/rpi-deploy-boot-confirm',
  /** Root only (0600): it holds the deployment's status token. */
  settings: '/etc/rpi-deploy-boot-confirm.env',
  service: '/etc/systemd/system/rpi-deploy-boot-confirm.service',
  /** The enablement symlink, as `systemctl enable` makes it. */
  wants: '/etc/systemd/system/multi-user.target.wants/rpi-deploy-boot-confirm.service',
} as const;

/** Folders the files go in, parents first: a minimal root may lack some; they are created root 0755. */
export const BOOT_CONFIRM_DIRS = [
  '/usr/local',
  '/usr/local/sbin',
  '/etc/systemd',
  '/etc/systemd/system',
  '/etc/systemd/system/multi-user.target.wants',
] as const;

export interface BootConfirmTarget {
  /** The deployment server's base URL, as the installer reached it. */
  server: string;
  deploymentId: string;
  statusToken: string;
}

export interface RootFile {
  content: string;
  /** Permission bits of a new file. */
  mode: number;
}

/** The regular files to write, by path; the symlink BOOT_CONFIRM_PATHS.wants → service comes beside them. */
export function bootConfirmFiles(target: BootConfirmTarget, hostname: string): Record<string, RootFile> {
  return {
    [BOOT_CONFIRM_PATHS.script]: { content: bootConfirmScript(hostname), mode: 0o755 },
    [BOOT_CONFIRM_PATHS.settings]: { content: bootConfirmSettings(target), mode: 0o600 },
    [BOOT_CONFIRM_PATHS.service]: { content: bootConfirmService(), mode: 0o644 },
  };
}

/** Shell assignments the script sources; each value single-quoted so nothing in it is run. */
export function bootConfirmSettings({ server, deploymentId, statusToken }: BootConfirmTarget): string {
  const quote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;
  return [
    '# rpi-deploy boot confirmation: where to report and with which secret (removed after the first boot).',
    `SERVER=${quote(server.replace(/\/+$/, ''))}`,
    `DEPLOYMENT_ID=${quote(deploymentId)}`,
    `STATUS_TOKEN=${quote(statusToken)}`,
    '',
  ].join('\n');
}

export function bootConfirmService(): string {
  return `[Unit]
Description=rpi-deploy: confirm this unit's first boot to the deployment server
Wants=network-online.target
After=network-online.target

[Service]
# simple, not oneshot: multi-user.target must not wait for the retries.
Type=simple
ExecStart=/bin/sh ${BOOT_CONFIRM_PATHS.script}

[Install]
WantedBy=multi-user.target
`;
}

/**
 * The script. RPI_DEPLOY_ROOT (tests only) stands for `/` in every path it reads or removes;
 * RPI_DEPLOY_CONFIRM_SECONDS (default 600) bounds the retries and RPI_DEPLOY_CONFIRM_WAIT (default
 * 5) is the first pause, doubling up to 60 s.
 */
export function bootConfirmScript(hostname: string): string {
  return `#!/bin/sh
# Written by the rpi-deploy installer for ${hostname}. Runs once, on the first boot into the
# product: tells the deployment server this unit booted, then removes itself.
ROOT=\${RPI_DEPLOY_ROOT:-}
SETTINGS=$ROOT${BOOT_CONFIRM_PATHS.settings}
RETRY_FOR=\${RPI_DEPLOY_CONFIRM_SECONDS:-600}
WAIT=\${RPI_DEPLOY_CONFIRM_WAIT:-5}
log() { echo "rpi-deploy boot confirmation: $*"; }

# Whatever happens, never again: the unit, its enablement, the secret and this script.
remove_self() {
  rm -f "$ROOT${BOOT_CONFIRM_PATHS.wants}" "$ROOT${BOOT_CONFIRM_PATHS.service}" \\
    "$SETTINGS" "$ROOT${BOOT_CONFIRM_PATHS.script}"
}

if [ ! -r "$SETTINGS" ]; then
  log "no $SETTINGS: nothing to confirm"
  remove_self
  exit 0
fi
. "$SETTINGS"

# One line of text for JSON: no control characters, at most $1 bytes, quotes and backslashes escaped.
clean() {
  head -n 1 | tr -d '\\000-\\037\\177' | cut -c "1-$1" | sed -e 's/\\\\/\\\\\\\\/g' -e 's/"/\\\\"/g'
}
image_version() {
  if [ -r "$ROOT/etc/rpi-issue" ]; then
    clean 200 <"$ROOT/etc/rpi-issue"
  elif [ -r "$ROOT/etc/os-release" ]; then
    sed -n 's/^PRETTY_NAME=//p' "$ROOT/etc/os-release" | tr -d '"' | clean 200
  fi
}
address() {
  found=$(hostname -I 2>/dev/null | awk '{ print $1 }')
  [ -n "$found" ] || found=$(ip -o route get 1.1.1.1 2>/dev/null | sed -n 's/.* src \\([^ ]*\\).*/\\1/p')
  case "$found" in
    '' | *[!0-9a-fA-F:.]*) ;;
    *) printf '%s' "$found" ;;
  esac
}

body="{\\"deploymentId\\":\\"$DEPLOYMENT_ID\\",\\"status\\":\\"booted\\""
add() {
  [ -n "$2" ] && body="$body,\\"$1\\":\\"$2\\""
}
add hostname "$(clean 253 2>/dev/null <"$ROOT/proc/sys/kernel/hostname")"
add machineId "$(clean 64 2>/dev/null <"$ROOT/etc/machine-id")"
add imageVersion "$(image_version)"
add kernel "$(uname -r | clean 200)"
add address "$(address)"
body="$body}"

# The HTTP status of one attempt: 000 when the server could not be reached.
post() {
  if command -v curl >/dev/null 2>&1; then
    # The token goes in through stdin, not the command line other users could read.
    printf 'authorization: Bearer %s\\n' "$STATUS_TOKEN" |
      curl -s -o /dev/null -w '%{http_code}' --connect-timeout 10 -m 20 -H @- \\
        -H 'content-type: application/json' --data "$body" "$SERVER/api/status"
  else
    # wget reads headers only from its command line: the token is visible there while it runs.
    wget -q -S -O /dev/null -T 20 --header "authorization: Bearer $STATUS_TOKEN" \\
      --header 'content-type: application/json' --post-data "$body" "$SERVER/api/status" 2>&1 |
      sed -n 's|.*HTTP/[0-9.]* \\([0-9][0-9][0-9]\\).*|\\1|p' | tail -n 1 | grep . || echo 000
  fi
}

if ! command -v curl >/dev/null 2>&1 && ! command -v wget >/dev/null 2>&1; then
  log "neither curl nor wget: cannot confirm"
  remove_self
  exit 0
fi
deadline=$(($(date +%s) + RETRY_FOR))
while :; do
  code=$(post)
  case "$code" in
    2??) log "confirmed to $SERVER"; break ;;
    4??) log "$SERVER refused the confirmation ($code): giving up"; break ;;
  esac
  if [ $(($(date +%s) + WAIT)) -gt "$deadline" ]; then
    log "$SERVER did not answer for $RETRY_FOR s: giving up"
    break
  fi
  sleep "$WAIT"
  WAIT=$((WAIT * 2))
  [ "$WAIT" -le 60 ] || WAIT=60
done
remove_self
exit 0
`;
}
