#!/usr/bin/env bash
# Runs apt-get or apt-cache for Debian's arm64 packages with an apt state of its own under the
# cache folder, so the host never gets arm64 added to its architectures and its own apt cache is
# left alone. The package lists are fetched once (first run, or with ARM64_APT_REFRESH=1) so
# repeated builds resolve the same versions and need no network.
#   bash infra/initramfs/arm64-apt.sh apt-cache show busybox-static
#   bash infra/initramfs/arm64-apt.sh fetch DIR PACKAGE...   download .debs into DIR (cached)
set -euo pipefail

cache=${INITRAMFS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rpi-deploy/initramfs}
state=$cache/apt
mkdir -p "$state/lists/partial" "$state/archives/partial" "$state/cache"
options=(
  -o APT::Architecture=arm64 -o APT::Architectures=arm64
  -o Dir::State::Lists="$state/lists" -o Dir::State::status=/dev/null
  -o Dir::Cache="$state/cache" -o Dir::Cache::Archives="$state/archives"
  # Downloads land in folders owned by whoever runs the build, not by apt's _apt user.
  -o APT::Sandbox::User="$(id -un)" -o Debug::NoLocking=1
  -o APT::Get::List-Cleanup=0
)

if [ "${ARM64_APT_REFRESH:-0}" = 1 ] || ! ls "$state/lists/"*_Packages* >/dev/null 2>&1; then
  echo "arm64 apt: fetching the package lists (once; ARM64_APT_REFRESH=1 to refresh)" >&2
  if ! apt-get "${options[@]}" -qq update >&2; then
    echo "arm64 apt: 'apt-get update' failed: is deb.debian.org reachable?" >&2
    exit 1
  fi
fi

command=$1
shift
case "$command" in
  apt-get | apt-cache) exec "$command" "${options[@]}" "$@" ;;
  fetch)
    dir=$1
    shift
    mkdir -p "$dir"
    # One apt-cache call for all (each call re-reads the lists): "package version arch" per line.
    candidates=$(apt-cache "${options[@]}" show --no-all-versions "$@" 2>/dev/null |
      awk '/^Package: /{p=$2} /^Version: /{v=$2} /^Architecture: /{a=$2} /^$/{if (p) print p, v, a; p=""}
           END{if (p) print p, v, a}')
    for package in "$@"; do
      read -r _ version arch < <(awk -v p="$package" '$1 == p' <<<"$candidates") || true
      if [ -z "${version:-}" ]; then
        echo "arm64 apt: no arm64 package \"$package\" in the lists (ARM64_APT_REFRESH=1 to refresh them)" >&2
        exit 1
      fi
      # The name apt-get download gives the candidate: already there means nothing to fetch.
      deb=${package}_${version//:/%3a}_${arch}.deb
      if [ ! -s "$dir/$deb" ]; then
        (cd "$dir" && apt-get "${options[@]}" -qq download "$package" >&2) || {
          echo "arm64 apt: downloading $package failed" >&2
          exit 1
        }
      fi
      echo "$dir/$deb"
      version=''
    done
    ;;
  *)
    echo "usage: arm64-apt.sh apt-get|apt-cache ARGS... | fetch DIR PACKAGE..." >&2
    exit 2
    ;;
esac
