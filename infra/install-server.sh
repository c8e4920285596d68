#!/usr/bin/env bash
# Sets up a deployment server on Ubuntu 24.04 or Debian 12, idempotently: run it again after
# an update or to change a setting, and it only touches what differs.
#
#   sudo infra/install-server.sh --deploy-interface eth1 --deploy-ip 192.168.151.1/24 \
#        [--dhcp-range 192.168.151.100,192.168.151.250] [--mgmt-host 127.0.0.1] [--dry-run]
#
# What it does: Debian packages (dnsmasq-base, nginx, mtools, e2fsprogs, ...), the service
# users rpi-deploy and rpi-deploy-dnsmasq, the application in /opt/rpi-deploy (built first
# from this checkout: npm ci && npm run build), data in /var/lib/rpi-deploy, logs in
# /var/log/rpi-deploy, the TFTP root in /srv/rpi-deploy/tftp, settings in
# /etc/rpi-deploy/rpi-deploy.env (created once, never overwritten), a self-signed TLS
# certificate for the dashboard (replace it), systemd units and nginx sites, the dnsmasq
# configuration rendered from the settings, and starts everything.
#
# --root DIR installs the files under DIR instead of / and skips packages, users and services:
# that is how the tests check the layout and the idempotency.
set -euo pipefail

usage() { sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; }

ROOT=
DRY_RUN=0
DEPLOY_IF=eth1
DEPLOY_IP=192.168.151.1/24
DHCP_RANGE=192.168.151.100,192.168.151.250
MGMT_HOST=127.0.0.1
while [ $# -gt 0 ]; do
  case "$1" in
    --root) ROOT=$(realpath -m "$2"); shift 2 ;;
    --dry-run) DRY_RUN=1; shift ;;
    --deploy-interface) DEPLOY_IF=$2; shift 2 ;;
    --deploy-ip) DEPLOY_IP=$2; shift 2 ;;
    --dhcp-range) DHCP_RANGE=$2; shift 2 ;;
    --mgmt-host) MGMT_HOST=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "install-server: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

SOURCE=$(cd "$(dirname "$0")/.." && pwd)
APP=$ROOT/opt/rpi-deploy
DATA=$ROOT/var/lib/rpi-deploy
LOGS=$ROOT/var/log/rpi-deploy
TFTP=$ROOT/srv/rpi-deploy/tftp
ETC=$ROOT/etc/rpi-deploy
SYSTEMD=$ROOT/etc/systemd/system
NGINX=$ROOT/etc/nginx/conf.d
SYSTEM=1
[ -n "$ROOT" ] && SYSTEM=0
SERVER_IP=${DEPLOY_IP%/*}
PREFIX=${DEPLOY_IP#*/}
[ "$PREFIX" = "$DEPLOY_IP" ] && PREFIX=24
changed=0

say() { printf 'install-server: %s\n' "$*"; }
run() {
  if [ "$DRY_RUN" = 1 ]; then say "would run: $*"; else "$@"; fi
}
# Installs a file when its content or mode differs; says what it did.
put() {
  local source=$1 target=$2 mode=$3
  if [ -f "$target" ] && cmp -s "$source" "$target" && [ "$(stat -c %a "$target")" = "$mode" ]; then
    return 0
  fi
  say "install $target"
  changed=1
  [ "$DRY_RUN" = 1 ] && return 0
  mkdir -p "$(dirname "$target")"
  install -m "$mode" "$source" "$target.new"
  mv -f "$target.new" "$target"
}
folder() {
  local path=$1 mode=$2 owner=${3:-}
  if [ ! -d "$path" ]; then
    say "create $path"
    changed=1
    run mkdir -p "$path"
  fi
  run chmod "$mode" "$path"
  if [ "$SYSTEM" = 1 ] && [ -n "$owner" ]; then run chown "$owner" "$path"; fi
}

if [ "$SYSTEM" = 1 ]; then
  [ "$(id -u)" -eq 0 ] || { echo "install-server: run as root (sudo), or use --root DIR" >&2; exit 1; }
  . /etc/os-release
  case "$ID:$VERSION_ID" in
    debian:12 | ubuntu:24.04) ;;
    *) say "warning: tested on Debian 12 and Ubuntu 24.04, this is $PRETTY_NAME" ;;
  esac
  packages=(dnsmasq-base nginx mtools dosfstools fdisk e2fsprogs xz-utils zstd curl openssl)
  missing=()
  for package in "${packages[@]}"; do dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'ok installed' || missing+=("$package"); done
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]}"
    run apt-get update -qq
    DEBIAN_FRONTEND=noninteractive run apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
  node_version=$(node -p 'process.versions.node' 2>/dev/null || echo 0)
  if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>20||(a===20&&b>=19)?0:1)' 2>/dev/null; then
    echo "install-server: Node.js 20.19 or newer is needed (found $node_version). Install it from NodeSource:" >&2
    echo "  curl -fsSL https://deb.nodesource.com/setup_20.x | bash - && apt-get install -y nodejs" >&2
    exit 1
  fi
  getent group rpi-deploy >/dev/null || { say "create user rpi-deploy"; run useradd --system --home-dir /var/lib/rpi-deploy --shell /usr/sbin/nologin --user-group rpi-deploy; }
  getent passwd rpi-deploy-dnsmasq >/dev/null || {
    say "create user rpi-deploy-dnsmasq"
    run useradd --system --no-create-home --shell /usr/sbin/nologin --user-group --groups rpi-deploy rpi-deploy-dnsmasq
  }
fi

[ -f "$SOURCE/dist/server/main.js" ] || { echo "install-server: build first: npm ci && npm run build (in $SOURCE)" >&2; exit 1; }

# The application: built output, production dependencies, the shipped infra and templates.
folder "$APP" 755
for part in dist/server dist/web dist/installer server/bin infra/dnsmasq infra/nginx infra/systemd tftpboot; do
  [ -d "$SOURCE/$part" ] || continue
  while IFS= read -r -d '' file; do
    relative=${file#"$SOURCE/"}
    mode=644
    [ -x "$file" ] && mode=755
    put "$file" "$APP/$relative" "$mode"
  done < <(find "$SOURCE/$part" -type f -print0 | sort -z)
done
[ -d "$SOURCE/dist/netboot" ] && for file in "$SOURCE"/dist/netboot/*; do put "$file" "$APP/dist/netboot/$(basename "$file")" 644; done
put "$SOURCE/package.json" "$APP/package.json" 644
put "$SOURCE/package-lock.json" "$APP/package-lock.json" 644
put "$SOURCE/README.md" "$APP/README.md" 644
if [ "$SYSTEM" = 1 ] && { [ "$changed" = 1 ] || [ ! -d "$APP/node_modules" ]; }; then
  say "installing production dependencies in $APP"
  (cd "$APP" && run npm ci --omit=dev --workspaces=false --no-audit --no-fund)
fi

folder "$DATA" 750 rpi-deploy:rpi-deploy
# Shared with dnsmasq's user: the hook secret (read), leases and the configuration (write).
folder "$DATA/netboot" 2770 rpi-deploy:rpi-deploy
folder "$LOGS" 2770 rpi-deploy:rpi-deploy
# dnsmasq serves the TFTP root as an unprivileged user: world-readable on the way down.
folder "$ROOT/srv/rpi-deploy" 755 rpi-deploy:rpi-deploy
folder "$TFTP" 755 rpi-deploy:rpi-deploy
folder "$ETC" 750 root:rpi-deploy

# Settings: written once; later runs never overwrite what the operator changed.
if [ ! -f "$ETC/rpi-deploy.env" ]; then
  say "create $ETC/rpi-deploy.env"
  changed=1
  if [ "$DRY_RUN" = 0 ]; then
    umask 027
    cat >"$ETC/rpi-deploy.env" <<ENV
# rpi-deploy settings (see README.md, "Configuration"). Restart rpi-deploy after a change,
# and render dnsmasq's configuration again: rpi-deploy netboot apply-dnsmasq.
DATA_DIR=/var/lib/rpi-deploy
MGMT_HOST=$MGMT_HOST
MGMT_PORT=5000
DEPLOY_HOST=$SERVER_IP
DEPLOY_PORT=5001
DEPLOY_PUBLIC_URL=http://$SERVER_IP:5001
NETBOOT_INTERFACE=$DEPLOY_IF
NETBOOT_SERVER_IP=$SERVER_IP
NETBOOT_NETMASK=$(prefix_to_netmask() { local p=$1 m=() i; for i in 1 2 3 4; do local b=$((p >= 8 ? 8 : (p > 0 ? p : 0))); m+=($((256 - 2 ** (8 - b)))); p=$((p - 8)); done; local IFS=.; echo "${m[*]}"; }; prefix_to_netmask "$PREFIX")
NETBOOT_DHCP_RANGE=$DHCP_RANGE
NETBOOT_BUILD_DIR=/opt/rpi-deploy/dist/netboot
NETBOOT_HOOK=/opt/rpi-deploy/infra/dnsmasq/rpi-deploy-dhcp-hook.sh
NETBOOT_TEMPLATES=/opt/rpi-deploy/tftpboot
TFTP_ROOT=/srv/rpi-deploy/tftp/root
DNSMASQ_CONFIG=/var/lib/rpi-deploy/netboot/dnsmasq.conf
DNSMASQ_LOG=/var/log/rpi-deploy/dnsmasq.log
LOG_LEVEL=info
ENV
    [ "$SYSTEM" = 1 ] && chown root:rpi-deploy "$ETC/rpi-deploy.env"
    chmod 640 "$ETC/rpi-deploy.env"
  fi
fi

# TLS for the dashboard: a self-signed certificate until the operator installs a real one.
if [ ! -f "$ETC/tls/server.crt" ]; then
  say "create a self-signed certificate in $ETC/tls (replace it with your own)"
  changed=1
  if [ "$DRY_RUN" = 0 ]; then
    mkdir -p "$ETC/tls"
    openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj "/CN=$(hostname -f 2>/dev/null || hostname)" \
      -keyout "$ETC/tls/server.key" -out "$ETC/tls/server.crt" 2>/dev/null
    chmod 600 "$ETC/tls/server.key"
  fi
fi

put "$SOURCE/infra/systemd/rpi-deploy.service" "$SYSTEMD/rpi-deploy.service" 644
put "$SOURCE/infra/systemd/rpi-deploy-dnsmasq.service" "$SYSTEMD/rpi-deploy-dnsmasq.service" 644
put "$SOURCE/infra/nginx/rpi-deploy-management.conf" "$NGINX/rpi-deploy-management.conf" 644
put "$SOURCE/infra/nginx/rpi-deploy-deployment.conf" "$NGINX/rpi-deploy-deployment.conf" 644

# dnsmasq's configuration from the same settings the server reads (checked with dnsmasq --test).
rendered=$(mktemp)
trap 'rm -f "$rendered"' EXIT
(
  set -a
  # shellcheck disable=SC1091
  . "$ETC/rpi-deploy.env"
  set +a
  if [ -n "$ROOT" ]; then
    # Staging: the paths inside the env file point at the real system; follow them under ROOT.
    DATA_DIR=$ROOT$DATA_DIR TFTP_ROOT=$ROOT$TFTP_ROOT DNSMASQ_LOG=$ROOT$DNSMASQ_LOG NETBOOT_HOOK=$ROOT$NETBOOT_HOOK \
      node "$SOURCE/dist/server/cli/main.js" netboot render-dnsmasq --settings --no-check >"$rendered"
  else
    node "$SOURCE/dist/server/cli/main.js" netboot render-dnsmasq --settings >"$rendered"
  fi
) || { echo "install-server: the settings in $ETC/rpi-deploy.env do not render a dnsmasq configuration (see above)" >&2; exit 1; }
put "$rendered" "$DATA/netboot/dnsmasq.conf" 644

if [ "$SYSTEM" = 1 ]; then
  [ -L /usr/local/bin/rpi-deploy ] || run ln -sfn /opt/rpi-deploy/server/bin/rpi-deploy.js /usr/local/bin/rpi-deploy
  run chown -R rpi-deploy:rpi-deploy "$DATA" "$TFTP"
  run systemctl daemon-reload
  # The distribution's dnsmasq would fight ours for the DHCP port.
  if systemctl list-unit-files dnsmasq.service >/dev/null 2>&1; then run systemctl disable --now dnsmasq.service || true; fi
  run systemctl enable rpi-deploy.service rpi-deploy-dnsmasq.service nginx.service
  if [ "$changed" = 1 ]; then
    run systemctl restart rpi-deploy.service rpi-deploy-dnsmasq.service
    run nginx -t
    run systemctl reload nginx.service
  else
    run systemctl start rpi-deploy.service rpi-deploy-dnsmasq.service
  fi
  say "done. Next: upload and activate an image, then: rpi-deploy netboot sync-tftp && rpi-deploy validate"
fi
[ "$changed" = 1 ] && say "changes applied" || say "everything already up to date"
