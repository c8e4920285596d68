export type ProxmoxMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';
export type ProxmoxParamValue = string | number | boolean | undefined;
export type ProxmoxParams = Record<string, ProxmoxParamValue>;

/**
 * One call of the Proxmox VE API, answered with the `data` member of its JSON. The real one
 * talks HTTPS; the dry run prints the call instead.
 */
export interface ProxmoxTransport {
  request<T>(method: ProxmoxMethod, path: string, params?: ProxmoxParams): Promise<T>;
}

/**
 * Parameters as Proxmox reads them: form fields, booleans as 1/0 (its schema accepts nothing
 * else), undefined left out.
 */
export function encodeParams(params: ProxmoxParams = {}): URLSearchParams {
  const form = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue;
    form.append(key, typeof value === 'boolean' ? (value ? '1' : '0') : String(value));
  }
  return form;
}
