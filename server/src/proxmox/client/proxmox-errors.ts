/** Anything that went wrong talking to Proxmox VE; the message says what to do about it. */
export class ProxmoxError extends Error {
  override readonly name: string = 'ProxmoxError';
}

/** No answer at all: wrong host or port, Proxmox down, firewall, timeout. */
export class ProxmoxUnreachableError extends ProxmoxError {
  override readonly name = 'ProxmoxUnreachableError';
}

/** The TLS handshake failed because we do not trust the certificate. */
export class ProxmoxTlsError extends ProxmoxError {
  override readonly name = 'ProxmoxTlsError';
}

/** Proxmox answered with an HTTP error; `errors` holds its per-parameter messages (400). */
export class ProxmoxHttpError extends ProxmoxError {
  override readonly name = 'ProxmoxHttpError';
  constructor(
    message: string,
    readonly status: number,
    readonly reason: string,
    readonly errors: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** A task (UPID) ended with an error; the message carries the end of its log. */
export class ProxmoxTaskError extends ProxmoxError {
  override readonly name = 'ProxmoxTaskError';
  constructor(
    message: string,
    readonly upid: string,
    readonly exitStatus: string,
    readonly log: string[],
  ) {
    super(message);
  }
}

/** TLS failures Node reports when the certificate chain is not trusted or does not match the host. */
const UNTRUSTED_CERTIFICATE_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** Turns a socket-level failure into an error an operator can act on. */
export function connectionError(baseUrl: string, error: NodeJS.ErrnoException): ProxmoxError {
  if (error.code && UNTRUSTED_CERTIFICATE_CODES.has(error.code)) {
    return new ProxmoxTlsError(
      `The TLS certificate of ${baseUrl} is not trusted (${error.message}). ` +
        'Give the CA certificate that signed it with --ca-file (PROXMOX_CA_FILE), ' +
        'or skip verification with --insecure (PROXMOX_INSECURE=true) on a network you trust.',
    );
  }
  return new ProxmoxUnreachableError(
    `Cannot reach Proxmox at ${baseUrl} (${error.code ?? error.message}): ` +
      'check the URL and port (usually https://HOST:8006) and that the host answers from here.',
  );
}

/** The message for an HTTP error answer. Proxmox puts its error text in the status line. */
export function httpErrorMessage(
  method: string,
  path: string,
  status: number,
  reason: string,
  errors: Record<string, string>,
): string {
  const call = `${method} ${path}`;
  const details = Object.entries(errors)
    .map(([param, text]) => `${param}: ${text.trim()}`)
    .join('; ');
  if (status === 400) return `Proxmox rejected ${call}: ${reason.trim()}${details ? ` ${details}` : ''}`;
  if (status === 401) {
    return (
      `Proxmox refused the credentials on ${call} (401 ${reason}): check the API token ID and secret ` +
      '(USER@REALM!TOKENID and its UUID secret), or the user name (with @realm) and password'
    );
  }
  if (status === 403) {
    return (
      `Proxmox denied ${call} (403 ${reason}): give the token's user that privilege on the path ` +
      '(or create the token without privilege separation)'
    );
  }
  return `Proxmox failed on ${call}: ${status} ${reason}${details ? ` (${details})` : ''}`;
}
