#!/bin/sh
# dnsmasq dhcp-script: forwards lease and TFTP events to the rpi-deploy server.
#   $1 = add|old|del: $2 MAC, $3 IP, $4 hostname (DNSMASQ_* variables set by dnsmasq)
#   $1 = tftp:        $2 size in bytes, $3 client address, $4 full path
# dnsmasq runs one hook at a time and waits for it, so the POST goes to the background with a
# short timeout and the script returns at once: a slow or stopped server never delays DHCP.
# Settings come from dnsmasq's environment (see infra/systemd/rpi-deploy-dnsmasq.service):
#   RPI_DEPLOY_HOOK_URL          default http://127.0.0.1:5000/api/netboot/hook
#   RPI_DEPLOY_HOOK_SECRET_FILE  default /var/lib/rpi-deploy/netboot/hook.secret
case "$1" in
  add | old | del | tftp) ;;
  *) exit 0 ;; # init, arp-add, ...: nothing the dashboard needs
esac

url=${RPI_DEPLOY_HOOK_URL:-http://127.0.0.1:5000/api/netboot/hook}
secret_file=${RPI_DEPLOY_HOOK_SECRET_FILE:-/var/lib/rpi-deploy/netboot/hook.secret}
[ -r "$secret_file" ] || exit 0

# The secret travels on stdin (printf is a shell builtin), never on a command line others can read.
printf 'X-Netboot-Secret: %s\n' "$(cat "$secret_file")" | curl --silent --output /dev/null --max-time 2 \
  --header @- \
  --data-urlencode "action=$1" \
  --data-urlencode "arg2=$2" \
  --data-urlencode "arg3=$3" \
  --data-urlencode "arg4=${4:-}" \
  --data-urlencode "interface=${DNSMASQ_INTERFACE:-}" \
  --data-urlencode "vendorClass=${DNSMASQ_VENDOR_CLASS:-}" \
  --data-urlencode "tags=${DNSMASQ_TAGS:-}" \
  --data-urlencode "expires=${DNSMASQ_LEASE_EXPIRES:-}" \
  "$url" >/dev/null 2>&1 &
exit 0
