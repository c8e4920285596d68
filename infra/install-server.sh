#!/usr/bin/env bash
# Sets up a deployment server on Ubuntu 24.04 or Debian 12, idempotently: run it again after
# an update or to change a setting, and it only touches what differs.
#
#   sudo infra/install-server.sh --deploy-interface eth1 --deploy-ip 192.168.151.1/24 \
#        [--dhcp-range 192.168.151.100,192.168.151.250] [--mgmt-host 0.0.0.0] [--no-start] [--dry-run]
#        [--node-modules DIR]
#
# Who listens where: nginx answers the Pis on DEPLOY-IP:5001 and the browsers on MGMT-HOST:443
# (:80 redirects); the server listens on loopback only, 127.0.0.1:5002 (installer API) and
# 127.0.0.1:5000 (dashboard), behind nginx. nginx's worker (www-data) sends the image bytes
# itself: DATA_DIR/images and DATA_DIR/chunks belong to group www-data (setgid, files 0640).
#
# What it does: Debian packages (dnsmasq-base, nginx, mtools, e2fsprogs, ...), the service
# users rpi-deploy and rpi-deploy-dnsmasq, the application in /opt/rpi-deploy (built first
# from this checkout: npm ci && npm run build), data in /var/lib/rpi-deploy, logs in
# /var/log/rpi-deploy, the TFTP root in /srv/rpi-deploy/tftp, settings in
# /etc/rpi-deploy/rpi-deploy.env (created once, never overwritten), a self-signed TLS
# certificate for the dashboard (replace it), systemd units and nginx sites, the dnsmasq
# configuration rendered from the settings, and starts everything. Without a running systemd
# (a container), or with --no-start, it installs everything and starts nothing.
#
# --node-modules DIR copies DIR (node_modules built on a machine with the same architecture and
# Node.js) instead of running npm ci: for a server without access to the npm registry and GitHub
# (where the native modules' prebuilt binaries come from; without them npm ci compiles them).
#
# --root DIR installs the files under DIR instead of / and skips packages, users and services:
# that is how the tests check the layout and the idempotency.
set -euo pipefail

usage() { sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//'; }

ROOT=
DRY_RUN=0
DEPLOY_IF=eth1
DEPLOY_IP=192.168.151.1/24
DHCP_RANGE=192.168.151.100,192.168.151.250
MGMT_HOST=
START=1
NODE_MODULES=
while [ $# -gt 0 ]; do
  case "$1" in
    --root) ROOT=$(realpath -m "$2"); shift 2 ;;
    --dry-run) DRY_RUN=1; shift ;;
    --no-start) START=0; shift ;;
    --node-modules) NODE_MODULES=$(realpath "$2"); shift 2 ;;
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
# nginx's worker user (Debian's package): its group reads the stored images and chunks.
NGINX_USER=www-data
# The server's own ports, on loopback behind nginx (nginx listens on 5001 and 443).
SERVER_DEPLOY_PORT=5002
SERVER_MGMT_PORT=5000
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
# libs/contracts: the server requires @rpi-deploy/contracts (a workspace package, linked by npm).
for part in dist/server dist/web dist/installer libs/contracts/dist server/bin infra/dnsmasq infra/nginx infra/systemd tftpboot; do
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
put "$SOURCE/libs/contracts/package.json" "$APP/libs/contracts/package.json" 644
put "$SOURCE/package-lock.json" "$APP/package-lock.json" 644
put "$SOURCE/README.md" "$APP/README.md" 644
if [ "$SYSTEM" = 1 ] && { [ "$changed" = 1 ] || [ ! -d "$APP/node_modules" ]; }; then
  if [ -n "$NODE_MODULES" ]; then
    say "copying $NODE_MODULES to $APP/node_modules"
    run rm -rf "$APP/node_modules.new"
    run cp -a "$NODE_MODULES" "$APP/node_modules.new"
    run rm -rf "$APP/node_modules"
    run mv "$APP/node_modules.new" "$APP/node_modules"
  else
    say "installing production dependencies in $APP"
    (cd "$APP" && run npm ci --omit=dev --workspaces=false --no-audit --no-fund)
  fi
fi

# 751: nginx's worker passes through to images/ and chunks/ (it cannot list DATA_DIR, and every
# other file in it is private to rpi-deploy: the service runs with UMask=0027).
folder "$DATA" 751 rpi-deploy:rpi-deploy
# Read by nginx's worker (X-Accel-Redirect): setgid, so every file the server adds is its group's.
folder "$DATA/images" 2750 "rpi-deploy:$NGINX_USER"
folder "$DATA/chunks" 2750 "rpi-deploy:$NGINX_USER"
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
# Both listeners on loopback: nginx answers the VLANs (/etc/nginx/conf.d/rpi-deploy-*.conf).
MGMT_HOST=127.0.0.1
MGMT_PORT=$SERVER_MGMT_PORT
DEPLOY_HOST=127.0.0.1
DEPLOY_PORT=$SERVER_DEPLOY_PORT
DEPLOY_PUBLIC_URL=http://$SERVER_IP:5001
IMAGES_ACCEL_REDIRECT=/_images/
CHUNKS_ACCEL_REDIRECT=/_chunks/
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
# The shipped sites listen on every address; here each listens on its own VLAN's address only:
# the deployment address from the settings (like dnsmasq's), the management one from --mgmt-host
# or else from the installed site, so a later run without the options changes nothing.
site_ip=$SERVER_IP
[ -f "$ETC/rpi-deploy.env" ] && site_ip=$(sed -n 's/^NETBOOT_SERVER_IP=//p' "$ETC/rpi-deploy.env" | tail -1)
if [ -z "$MGMT_HOST" ] && [ -f "$NGINX/rpi-deploy-management.conf" ]; then
  MGMT_HOST=$(sed -n 's/^ *listen \([0-9.]*\):443 .*/\1/p' "$NGINX/rpi-deploy-management.conf" | head -1)
fi
MGMT_HOST=${MGMT_HOST:-0.0.0.0}
site=$(mktemp)
sed -e "s/^\( *listen \)80;/\1$MGMT_HOST:80;/" -e "s/^\( *listen \)443 /\1$MGMT_HOST:443 /" \
  "$SOURCE/infra/nginx/rpi-deploy-management.conf" >"$site"
put "$site" "$NGINX/rpi-deploy-management.conf" 644
sed -e "s/^\( *listen \)5001;/\1$site_ip:5001;/" "$SOURCE/infra/nginx/rpi-deploy-deployment.conf" >"$site"
put "$site" "$NGINX/rpi-deploy-deployment.conf" 644
rm -f "$site"

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
  run chown -R rpi-deploy:rpi-deploy "$TFTP"
  run find "$DATA" \( -path "$DATA/images" -o -path "$DATA/chunks" \) -prune -o -exec chown rpi-deploy:rpi-deploy {} +
  # Images and chunks (also those stored before this layout): nginx's group, readable by it.
  for store in "$DATA/images" "$DATA/chunks"; do
    run chown -R "rpi-deploy:$NGINX_USER" "$store"
    run find "$store" -type d -exec chmod 2750 {} +
    run find "$store" -type f -exec chmod 640 {} +
  done
  if [ "$START" = 0 ] || [ ! -d /run/systemd/system ]; then
    [ "$START" = 1 ] && say "systemd is not running here: nothing started"
    say "start them as the units say: $SYSTEMD/rpi-deploy.service, rpi-deploy-dnsmasq.service, and nginx"
    [ "$changed" = 1 ] && say "changes applied" || say "everything already up to date"
    exit 0
  fi
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
