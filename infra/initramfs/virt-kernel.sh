#!/usr/bin/env bash
# Prepares Debian's arm64 kernel for QEMU's `virt` machine, which the Pi 5 is not: the kernel
# image, and a second initramfs archive with the modules the virt machine needs (virtio-mmio,
# virtio-net, virtio-blk). Linux unpacks concatenated archives in turn, so this one is appended to
# the product's own dist/netboot/initramfs.img as it is; a real Pi 5 kernel needs none of it.
#   bash infra/initramfs/virt-kernel.sh OUT_DIR
# writes OUT_DIR/vmlinuz, OUT_DIR/modules.cpio.zst and OUT_DIR/kernel-version (cached: a second
# run with the same kernel package only prints the paths).
set -euo pipefail

# Load order for deploy.modules=; modprobe pulls in failover and net_failover through modules.dep.
VIRT_MODULES=(virtio_mmio failover net_failover virtio_net virtio_blk)

here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: virt-kernel.sh OUT_DIR}
cache=${INITRAMFS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rpi-deploy/initramfs}
export INITRAMFS_CACHE=$cache
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1704067200}
for tool in depmod cpio zstd dpkg-deb; do
  command -v "$tool" >/dev/null || {
    echo "virt-kernel: '$tool' is missing: run 'bash infra/install-system-deps.sh' as root" >&2
    exit 1
  }
done

# linux-image-arm64 is a meta package: its dependency names the real kernel package.
meta=$(bash "$here/arm64-apt.sh" fetch "$cache/debs" linux-image-arm64)
kernel_package=$(dpkg-deb -f "$meta" Depends | sed -n 's/^\(linux-image-[^ ,]*-arm64\).*/\1/p')
[ -n "$kernel_package" ] || {
  echo "virt-kernel: cannot tell the kernel package from $(basename "$meta")" >&2
  exit 1
}
deb=$(bash "$here/arm64-apt.sh" fetch "$cache/debs" "$kernel_package")
kernel_version=${kernel_package#linux-image-}

mkdir -p "$out"
if [ "$(cat "$out/kernel-deb" 2>/dev/null)" != "$(basename "$deb")" ] || [ ! -s "$out/modules.cpio.zst" ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  # Only the kernel image and the few modules: the full package unpacks to ~300 MB.
  paths=("./boot/vmlinuz-$kernel_version")
  for index in modules.order modules.builtin modules.builtin.modinfo; do
    paths+=("./lib/modules/$kernel_version/$index")
  done
  for module in "${VIRT_MODULES[@]}"; do
    paths+=("$(dpkg-deb -c "$deb" | awk '{ print $6 }' | grep "/$module\.ko$")")
  done
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$work" "${paths[@]}"
  depmod -b "$work" "$kernel_version"
  mv "$work/boot/vmlinuz-$kernel_version" "$out/vmlinuz"
  rm -rf "$work/boot"
  find "$work" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
  (cd "$work" && find lib -print | LC_ALL=C sort | cpio --quiet --create --format=newc --reproducible --owner=0:0) |
    zstd -q -19 >"$out/modules.cpio.zst"
  echo "$kernel_version" >"$out/kernel-version"
  basename "$deb" >"$out/kernel-deb"
fi
echo "virt-kernel: $out/vmlinuz ($kernel_version), $out/modules.cpio.zst; deploy.modules=$(
  IFS=,
  echo "${VIRT_MODULES[*]}"
)"
