#!/usr/bin/env bash
# Builds the image of the first-boot system test: a minimal Raspberry-Pi-OS-like arm64 card from
# Debian's arm64 packages (systemd, openssh-server, e2fsprogs, fdisk, curl), laid out as a Pi OS
# card (partition 1 FAT with cmdline.txt and config.txt, partition 2 ext4 root with little free
# space). The Debian kernel and a small busybox initrd in the root's /boot stand in for the Pi's
# kernel, since QEMU's virt machine needs virtio modules. No emulation on the host is needed:
# debootstrap --foreign unpacks the packages here, and its second stage (the maintainer scripts)
# runs in one boot under qemu-system-aarch64 (5 to 10 minutes of software emulation).
#   bash infra/test/first-boot/build-root.sh          build unless the cached image is up to date
#   bash infra/test/first-boot/build-root.sh --force  build again
# Writes, under ~/.cache/rpi-deploy/initramfs/first-boot (FIRST_BOOT_CACHE to change it):
#   pi-os-arm64.img   the card image       test-key, test-key.pub   root's SSH login key in the image
#   root.ext4         the finished root before it is laid out on the card (the slow part, kept)
# Both are keyed by their inputs (these scripts, the package versions): a change rebuilds them.
set -euo pipefail

root=$(cd "$(dirname "$0")/../../.." && pwd)
here=$root/infra/test/first-boot
apt=$root/infra/initramfs/arm64-apt.sh
export INITRAMFS_CACHE=${INITRAMFS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rpi-deploy/initramfs}
out=${FIRST_BOOT_CACHE:-$INITRAMFS_CACHE/first-boot}
image=$out/pi-os-arm64.img
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm
# Beyond debootstrap's minbase (the Essential set and apt), what a Pi OS card's first boot uses.
INCLUDE=systemd,systemd-sysv,udev,openssh-server,e2fsprogs,fdisk,curl,iproute2,kmod
# What the Debian kernel needs as modules on the virt machine (load order), and for /boot/firmware.
MODULES=(virtio_mmio virtio_blk failover net_failover virtio_net crc32c_generic jbd2 mbcache crc16 ext4
  fat vfat nls_cp437 nls_ascii nls_utf8)
BOOT_MIB=32
# Room in the master's root before first boot grows it: journal, SSH host keys.
ROOT_SPARE_MIB=48

usage() { sed -n '2,14s/^# \{0,1\}//p' "$0"; }
force=0
case "${1:-}" in
  '') ;;
  --force) force=1 ;;
  -h | --help)
    usage
    exit 0
    ;;
  *)
    usage >&2
    exit 2
    ;;
esac

for tool in dpkg-deb wget perl cpio zstd depmod mkfs.ext4 e2fsck mkfs.vfat mcopy sfdisk ssh-keygen \
  qemu-system-aarch64 sha256sum mount; do
  command -v "$tool" >/dev/null || {
    echo "build-root: '$tool' is missing: run 'bash infra/install-system-deps.sh' as root" >&2
    exit 1
  }
done
[ "$(id -u)" = 0 ] || {
  echo "build-root: must run as root (debootstrap keeps the files' owners)" >&2
  exit 1
}
started=$SECONDS
step() { echo "build-root: [$((SECONDS - started)) s] $*" >&2; }

mkdir -p "$out"
# linux-image-arm64 is a meta package: its dependency names the real kernel package.
meta=$(bash "$apt" fetch "$INITRAMFS_CACHE/debs" linux-image-arm64)
kernel_package=$(dpkg-deb -f "$meta" Depends | sed -n 's/^\(linux-image-[^ ,]*-arm64\).*/\1/p')
mapfile -t debs < <(bash "$apt" fetch "$INITRAMFS_CACHE/debs" "$kernel_package" busybox-static debootstrap)
kernel_deb=${debs[0]} busybox_deb=${debs[1]} debootstrap_deb=${debs[2]}
kernel_version=${kernel_package#linux-image-}

# Two cached results: the root (everything of this script above the card section, and what it
# reads) and the card (the whole script and the root).
root_fingerprint=$( (
  sed '/^# ---- The card/q' "$0"
  cat "$here/initrd-init" "$here/stage2.sh"
  basename -a "${debs[@]}"
  echo "$MIRROR $SUITE"
) | sha256sum | cut -d' ' -f1)
fingerprint=$( (
  cat "$0"
  echo "$root_fingerprint"
) | sha256sum | cut -d' ' -f1)
if [ "$force" = 0 ] && [ "$(cat "$out/.fingerprint" 2>/dev/null)" = "$fingerprint" ] && [ -s "$image" ]; then
  echo "build-root: up to date ($image)" >&2
  echo "$image"
  exit 0
fi
rm -f "$out/.fingerprint"

work=$out/work
cleanup() {
  mountpoint -q "$work/mnt" 2>/dev/null && umount "$work/mnt"
  rm -rf "$work"
}
cleanup
mkdir -p "$work/tools" "$work/root" "$work/kernel" "$work/initrd" "$work/mnt" "$out/debootstrap-debs"
trap cleanup EXIT

if [ "$force" = 1 ] || [ "$(cat "$out/.root-fingerprint" 2>/dev/null)" != "$root_fingerprint" ] ||
  [ ! -s "$out/root.ext4" ]; then
  rm -f "$out/.root-fingerprint"

  step "debootstrap --foreign ($SUITE arm64, packages cached in ${out#"$root"/}/debootstrap-debs)"
  dpkg-deb -x "$debootstrap_deb" "$work/tools"
  if ! DEBOOTSTRAP_DIR=$work/tools/usr/share/debootstrap "$work/tools/usr/sbin/debootstrap" \
    --foreign --arch=arm64 --variant=minbase --include="$INCLUDE" \
    --cache-dir="$out/debootstrap-debs" --keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
    "$SUITE" "$work/root" "$MIRROR" >"$work/debootstrap.out" 2>&1; then
    tail -n 30 "$work/debootstrap.out" >&2
    echo "build-root: debootstrap --foreign failed: is $MIRROR reachable?" >&2
    exit 1
  fi

  step "kernel $kernel_version and the initrd"
  paths=("./boot/vmlinuz-$kernel_version")
  for index in modules.order modules.builtin modules.builtin.modinfo; do paths+=("./lib/modules/$kernel_version/$index"); done
  listing=$(dpkg-deb -c "$kernel_deb" | awk '{ print $6 }')
  for module in "${MODULES[@]}"; do
    found=$(grep "/$module\.ko$" <<<"$listing") || {
      echo "build-root: $kernel_package has no module $module (built in now?): update MODULES" >&2
      exit 1
    }
    paths+=("$found")
  done
  dpkg-deb --fsys-tarfile "$kernel_deb" | tar -x -C "$work/kernel" "${paths[@]}"
  depmod -b "$work/kernel" "$kernel_version"
  dpkg-deb -x "$busybox_deb" "$work/busybox"
  initrd=$work/initrd
  mkdir -p "$initrd/bin" "$initrd/etc" "$initrd/lib"
  cp "$work/busybox/bin/busybox" "$initrd/bin/busybox"
  cp -a "$work/kernel/lib/modules" "$initrd/lib/"
  install -m 755 "$here/initrd-init" "$initrd/init"
  printf '%s\n' "${MODULES[@]}" >"$initrd/etc/modules-to-load"
  install -D -m 644 "$work/kernel/boot/vmlinuz-$kernel_version" "$work/root/boot/vmlinuz-$kernel_version"
  (cd "$initrd" && find . -print | LC_ALL=C sort | cpio --quiet --create --format=newc --owner=0:0) |
    zstd -q -19 >"$work/root/boot/initrd.img-$kernel_version"
  ln -sf "vmlinuz-$kernel_version" "$work/root/boot/vmlinuz"
  ln -sf "initrd.img-$kernel_version" "$work/root/boot/initrd.img"

  step "the settings of a Pi OS card"
  r=$work/root
  echo raspberrypi >"$r/etc/hostname"
  printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\traspberrypi\n' >"$r/etc/hosts"
  printf '%s\n' 'proc            /proc           proc    defaults          0       0' \
    '/dev/vda1       /boot/firmware  vfat    defaults          0       2' \
    '/dev/vda2       /               ext4    defaults,noatime  0       1' >"$r/etc/fstab"
  mkdir -p "$r/boot/firmware" "$r/etc/systemd/network" "$r/root/.ssh"
  printf '[Match]\nType=ether\n\n[Network]\nDHCP=yes\n' >"$r/etc/systemd/network/20-wired.network"
  [ -s "$out/test-key" ] || ssh-keygen -q -t ed25519 -N '' -C first-boot-test -f "$out/test-key"
  install -m 600 "$out/test-key.pub" "$r/root/.ssh/authorized_keys"
  chmod 700 "$r/root/.ssh"
  install -m 755 "$here/stage2.sh" "$r/rpi-deploy-stage2.sh"

  step "debootstrap --second-stage under qemu-system-aarch64"
  # The working disk: the whole virtual disk is the ext4 root, with room for the packages.
  mkfs.ext4 -q -F -L rootfs -d "$r" "$work/root.ext4" 2G
  if ! timeout 1800 qemu-system-aarch64 -M virt -cpu cortex-a72 -m 1024 -smp 2 -nographic -no-reboot \
    -kernel "$r/boot/vmlinuz-$kernel_version" -initrd "$r/boot/initrd.img-$kernel_version" \
    -append "console=ttyAMA0 panic=10 root=/dev/vda rw init=/rpi-deploy-stage2.sh" \
    -drive "file=$work/root.ext4,if=none,format=raw,id=d0" -device virtio-blk-device,drive=d0 \
    -netdev user,id=n0 -device virtio-net-device,netdev=n0 </dev/null >"$work/stage2.log" 2>&1 ||
    ! grep -q '^stage2: done' "$work/stage2.log"; then
    tail -n 60 "$work/stage2.log" >&2
    echo "build-root: the second stage did not finish (console above)" >&2
    exit 1
  fi

  mv "$work/root.ext4" "$out/root.ext4"
  echo "$root_fingerprint" >"$out/.root-fingerprint"
else
  step "root up to date (${out#"$root"/}/root.ext4)"
fi

# ---- The card (keep this line: the root's cache key is everything above it) ----
step "the card: FAT boot partition and a tight ext4 root"
# A fresh file system from the finished root's files: no free space left dirty by the second
# stage, a small journal, and only a little room, so that first boot has something to grow.
e2fsck -fy "$out/root.ext4" >/dev/null 2>&1 || [ $? -le 1 ]
mount -o loop,ro "$out/root.ext4" "$work/mnt"
root_mib=$(($(du -sm "$work/mnt" | cut -f1) * 115 / 100 + ROOT_SPARE_MIB))
mkfs.ext4 -q -F -L rootfs -b 4096 -J size=16 -N 24576 -d "$work/mnt" "$work/root-card.ext4" "${root_mib}M" >/dev/null
umount "$work/mnt"

card=$work/card.img
boot_start_mib=4
root_start_mib=$((boot_start_mib + BOOT_MIB))
truncate -s "$((root_start_mib + root_mib))M" "$card"
sfdisk -q "$card" <<TABLE
label: dos
label-id: 0x5e1f0b00
start=${boot_start_mib}MiB, size=${BOOT_MIB}MiB, type=c, bootable
start=${root_start_mib}MiB, size=${root_mib}MiB, type=83
TABLE
mkfs.vfat -n bootfs -i 5E1F0B01 "$work/boot.fat" -C $((BOOT_MIB * 1024)) >/dev/null 2>&1
echo "console=tty1 root=/dev/vda2 rootfstype=ext4 fsck.repair=yes rootwait" >"$work/cmdline.txt"
printf '# Raspberry Pi OS-like test card (first-boot system test)\narm_64bit=1\ndtoverlay=vc4-kms-v3d\n' >"$work/config.txt"
mcopy -i "$work/boot.fat" "$work/cmdline.txt" "$work/config.txt" ::
dd if="$work/boot.fat" of="$card" bs=1M seek="$boot_start_mib" conv=notrunc status=none
dd if="$work/root-card.ext4" of="$card" bs=1M seek="$root_start_mib" conv=notrunc status=none
mv "$card" "$image"
echo "$fingerprint" >"$out/.fingerprint"
step "done: $image ($((root_start_mib + root_mib)) MiB, root ${root_mib} MiB)"
echo "$image"
