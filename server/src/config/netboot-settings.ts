/**
 * What a valid NETBOOT_INTERFACE and NETBOOT_LEASE_TIME look like. The configuration owns these
 * rules because it parses the values; the dnsmasq renderer holds its settings to the same ones.
 */

/** A Linux interface name (at most 15 characters). */
export const INTERFACE_NAME = /^[A-Za-z0-9_.:-]{1,15}$/;
/** A dnsmasq lease time: seconds, or a number with s/m/h/d/w, or "infinite". */
export const LEASE_TIME = /^(\d+[smhdw]?|infinite)$/;
