export const FIRSTRUN_FILE = 'firstrun.sh';

/**
 * The first-boot script written to the FAT boot partition and wired into cmdline.txt. It does
 * what only the booted unit can do: new SSH host keys, a permanent machine-id, the root partition
 * grown to the card's size. It then removes itself and its cmdline.txt tokens whatever happened,
 * because a script that fails before its clean-up would run again on every boot.
 */
export function firstRunScript({ bootDir, hostname }: { bootDir: string; hostname: string }): string {
  return `#!/bin/sh
# Written by the rpi-deploy installer for ${hostname}. systemd runs it once, on the first boot
# (systemd.run= in cmdline.txt), and reboots when it has finished.
BOOT_DIR=${bootDir}
log() { echo "rpi-deploy firstrun: $*"; }

# SSH host keys of its own: the installer removed the master's.
if command -v ssh-keygen >/dev/null 2>&1; then
  ssh-keygen -A || log "ssh-keygen -A failed"
fi

# A machine-id of its own: the installer emptied the master's, systemd gave this boot a
# transient one, and this makes it permanent.
if mountpoint -q /etc/machine-id; then
  systemd-machine-id-setup --commit || log "could not commit the machine-id"
elif [ ! -s /etc/machine-id ]; then
  systemd-machine-id-setup || log "could not create a machine-id"
fi

# The root partition and its ext4 file system grow to the end of the card, online.
grow_root() {
  root_part=$(findmnt -n -o SOURCE /) && [ -b "$root_part" ] || return 1
  disk=/dev/$(lsblk -n -o PKNAME "$root_part" | head -n 1)
  number=$(cat "/sys/class/block/$(basename "$root_part")/partition") || return 1
  echo ', +' | sfdisk --no-reread --no-tell-kernel -N "$number" "$disk" || return 1
  partx -u "$disk" && resize2fs "$root_part"
}
grow_root || log "could not grow the root file system; it keeps the image's size"

# Never again: remove this script and the cmdline.txt tokens that run it.
rm -f "$BOOT_DIR/${FIRSTRUN_FILE}"
sed -i -e 's| systemd\\.run=[^ ]*||g' -e 's| systemd\\.run_success_action=[^ ]*||g' -e 's| systemd\\.unit=kernel-command-line\\.target||g' "$BOOT_DIR/cmdline.txt"
sync
exit 0
`;
}
