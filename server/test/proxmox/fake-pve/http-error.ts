/** An error answer of the fake Proxmox: status, status line text and, for 400, the per-parameter errors. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors?: Record<string, string>,
  ) {
    super(message);
  }
}
