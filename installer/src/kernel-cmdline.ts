/**
 * The `deploy.*` parameters of the kernel command line (/proc/cmdline), e.g.
 * `console=ttyAMA10 deploy.server=http://192.168.151.1:5001 deploy.product=KXP2`.
 */
export interface KernelParameters {
  server?: string;
  device?: string;
  product?: string;
  venue?: string;
  modules?: string[];
  debug?: boolean;
  /** `deploy.peer-listen=HOST:PORT`, `deploy.peers=0` (off), `deploy.seed-seconds=N`: as the flags. */
  peerListen?: string;
  peers?: boolean;
  seedSeconds?: string;
  /** `deploy.mode=capture`: read the card and send it to the server instead of installing. */
  mode?: string;
}

export function parseKernelCommandLine(cmdline: string): KernelParameters {
  const parameters: KernelParameters = {};
  for (const token of cmdline.trim().split(/\s+/)) {
    const match = /^deploy\.([a-z-]+)=(.*)$/.exec(token);
    if (!match) continue;
    const [, key, value] = match;
    switch (key) {
      case 'server':
      case 'device':
      case 'product':
      case 'venue':
        parameters[key] = value;
        break;
      case 'modules':
        parameters.modules = value.split(',').filter(Boolean);
        break;
      case 'debug':
        parameters.debug = value === '1' || value === 'true';
        break;
      case 'peer-listen':
        parameters.peerListen = value;
        break;
      case 'peers':
        parameters.peers = !(value === '0' || value === 'false' || value === 'off');
        break;
      case 'seed-seconds':
        parameters.seedSeconds = value;
        break;
      case 'mode':
        parameters.mode = value;
        break;
      // Unknown deploy.* keys are ignored so an older installer boots with newer templates.
    }
  }
  return parameters;
}
