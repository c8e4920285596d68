/** How to log in: an API token (preferred, no session) or a user's password (ticket + CSRF token). */
export type ProxmoxCredentials =
  | { kind: 'token'; /** USER@REALM!TOKENID */ tokenId: string; secret: string }
  | { kind: 'password'; /** USER@REALM */ username: string; password: string };

/** Where Proxmox VE is and how far to trust it. */
export interface ProxmoxConnection {
  /** e.g. https://pve.example.net:8006 (the /api2/json prefix is added). */
  url: string;
  credentials: ProxmoxCredentials;
  /** PEM of the CA that signed Proxmox's certificate, for self-signed or private CAs. */
  ca?: string;
  /** Skip certificate verification altogether (only on a network you trust). */
  insecure?: boolean;
  /** Per-request timeout in milliseconds. */
  timeoutMs?: number;
}

/** API token IDs look like `root@pam!rpi-deploy`. */
export const TOKEN_ID_PATTERN = /^[^\s@!]+@[A-Za-z][A-Za-z0-9.\-_]+![A-Za-z][A-Za-z0-9.\-_]+$/;
/** User names carry their realm: `root@pam`, `deploy@pve`. */
export const USERNAME_WITH_REALM_PATTERN = /^[^\s@!:]+@[A-Za-z][A-Za-z0-9.\-_]+$/;

export const MASK = '***';

/** The Authorization header for a token, with the secret masked unless `reveal`. */
export function tokenHeader(tokenId: string, secret: string, reveal = false): string {
  return `PVEAPIToken=${tokenId}=${reveal ? secret : MASK}`;
}

/** Parameter names whose values are secrets and never printed. */
export const SECRET_PARAMS = new Set(['password', 'cipassword', 'new-password', 'secret']);

/** `https://host:8006/` -> `https://host:8006`, refusing anything that is not an https URL. */
export function normaliseBaseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`Proxmox URL "${url}" is not a URL: give it like https://pve.example.net:8006`);
  }
  if (parsed.protocol !== 'https:') {
    throw new Error(`Proxmox URL "${url}" must start with https:// (Proxmox VE only serves its API over TLS)`);
  }
  return `${parsed.protocol}//${parsed.host}${parsed.pathname.replace(/\/+$/, '').replace(/\/api2\/json$/, '')}`;
}
