#!/bin/sh
# PID 1 of the one emulated boot that finishes the test image (build-root.sh): debootstrap's
# second stage (maintainer scripts, which must run on arm64), then the settings of a Raspberry
# Pi OS card, then power off. Prints "stage2: done" only when everything worked.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
finish() {
  sync
  mount -o remount,ro / 2>/dev/null
  echo o >/proc/sysrq-trigger
  sleep 30
}
fail() {
  echo "stage2: FAILED: $*"
  tail -n 40 /debootstrap/debootstrap.log 2>/dev/null
  finish
}

/debootstrap/debootstrap --second-stage || fail "debootstrap --second-stage"
mountpoint -q /proc || mount -t proc proc /proc

# The network as the product brings it up (DHCP on the wired interface), and the journal kept on
# the card so that each boot can be read afterwards from outside.
systemctl enable systemd-networkd.service ssh.service || fail "systemctl enable"
mkdir -p /var/log/journal
systemd-tmpfiles --create --prefix /var/log/journal || true

# A master image carries no caches nor documentation: smaller card, faster test.
apt-get clean
rm -rf /var/lib/apt/lists/* /usr/share/doc/* /usr/share/man/* /usr/share/info/* /usr/share/locale/* \
  /var/cache/debconf/*-old /var/log/*.log /var/log/apt/*
rm -f /rpi-deploy-stage2.sh
echo "stage2: done"
finish
