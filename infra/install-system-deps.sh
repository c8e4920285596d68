#!/usr/bin/env bash
# Installs the Debian packages that the tests and the server's host tools need, and only the
# missing ones: safe to run again and again (npm test calls it every time).
#   bash infra/install-system-deps.sh          install what is missing
#   bash infra/install-system-deps.sh --check  only report; exit 1 if something is missing
set -euo pipefail

# package -> a file that exists once it is installed
declare -A PROVIDES=(
  [chromium]=/usr/bin/chromium
  [postgresql]=/usr/lib/postgresql
  # Disk-image tests (installer, server images): partition, format and edit images as files.
  [fdisk]=/usr/sbin/sfdisk
  [dosfstools]=/usr/sbin/mkfs.vfat
  [mtools]=/usr/bin/mcopy
  [e2fsprogs]=/usr/sbin/debugfs
  [xz-utils]=/usr/bin/xz
  [zstd]=/usr/bin/zstd
  # Block maps: the images tests check ours with bmaptool; the benchmarks compare against it.
  [bmap-tools]=/usr/bin/bmaptool
  # The production-mode test runs the shipped nginx config; the benchmarks compare with nginx.
  [nginx]=/usr/sbin/nginx
  # Netboot system test: the real dnsmasq (the binary only: dnsmasq-base starts no service)
  # between two network namespaces.
  [dnsmasq-base]=/usr/sbin/dnsmasq
  [iproute2]=/usr/sbin/ip
  # The arm64 initramfs: built from Debian arm64 packages and the npm registry, proven under QEMU.
  [qemu-system-arm]=/usr/bin/qemu-system-aarch64
  [cpio]=/usr/bin/cpio
  [kmod]=/usr/sbin/depmod
  [device-tree-compiler]=/usr/bin/dtc
  # build:initramfs finds the libraries each arm64 program needs with readelf.
  [binutils]=/usr/bin/readelf
  # The first-boot test: debootstrap (run from its package) downloads with wget; the test logs in
  # to the booted card over SSH and reads its journal with journalctl.
  [wget]=/usr/bin/wget
  [openssh-client]=/usr/bin/ssh
  [systemd]=/usr/bin/journalctl
  # The chunk-store benchmark reports the installer's peak memory (GNU time's %M).
  [time]=/usr/bin/time
)

missing=()
for package in "${!PROVIDES[@]}"; do
  [ -e "${PROVIDES[$package]}" ] || missing+=("$package")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: all present (${!PROVIDES[*]})"
  exit 0
fi

if [ "${1:-}" = "--check" ]; then
  echo "system packages missing: ${missing[*]}" >&2
  exit 1
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "system packages missing: ${missing[*]}" >&2
  echo "Run as root once: sudo bash infra/install-system-deps.sh" >&2
  exit 1
fi

echo "system packages: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

for package in "${missing[@]}"; do
  if [ ! -e "${PROVIDES[$package]}" ]; then
    echo "system packages: $package installed but ${PROVIDES[$package]} is still missing" >&2
    exit 1
  fi
done
echo "system packages: installed ${missing[*]}"
