import { execFileSync } from 'node:child_process';

/**
 * Two network namespaces joined by a veth pair: the deployment server's side and a unit's side.
 * Nothing outside them is touched; every address used lives inside them.
 */
export class NetnsPair {
  readonly server: string;
  readonly client: string;
  readonly serverIf: string;
  readonly clientIf: string;

  constructor(tag = `${process.pid % 100000}`) {
    this.server = `rpd-srv-${tag}`;
    this.client = `rpd-pi-${tag}`;
    // Interface names are at most 15 characters.
    this.serverIf = `rpds${tag}`.slice(0, 15);
    this.clientIf = `rpdc${tag}`.slice(0, 15);
  }

  /** Server side gets `serverCidr`; the client side stays unaddressed, as a unit before DHCP. */
  create(serverCidr: string, clientMac: string): void {
    this.destroy();
    ip('netns', 'add', this.server);
    ip('netns', 'add', this.client);
    ip('link', 'add', this.serverIf, 'type', 'veth', 'peer', 'name', this.clientIf);
    ip('link', 'set', this.serverIf, 'netns', this.server);
    ip('link', 'set', this.clientIf, 'netns', this.client);
    ip('-n', this.server, 'addr', 'add', serverCidr, 'dev', this.serverIf);
    ip('-n', this.server, 'link', 'set', this.serverIf, 'up');
    ip('-n', this.server, 'link', 'set', 'lo', 'up');
    ip('-n', this.client, 'link', 'set', 'lo', 'up');
    this.becomeClient(clientMac);
  }

  /**
   * Gives the client side another identity (MAC), without address. A unit without an address
   * still has to receive dnsmasq's unicast answers to the offered address (the Pi sets no
   * broadcast flag): `offeredPrefix` is made local so the kernel accepts them.
   */
  becomeClient(mac: string, offeredPrefix?: string): void {
    ip('-n', this.client, 'link', 'set', this.clientIf, 'down');
    ip('-n', this.client, 'addr', 'flush', 'dev', this.clientIf);
    ip('-n', this.client, 'link', 'set', this.clientIf, 'address', mac);
    ip('-n', this.client, 'link', 'set', this.clientIf, 'up');
    ip('-n', this.client, 'route', 'replace', '255.255.255.255/32', 'dev', this.clientIf);
    if (offeredPrefix) ip('-n', this.client, 'route', 'replace', 'local', offeredPrefix, 'dev', 'lo');
  }

  destroy(): void {
    for (const ns of [this.server, this.client]) {
      try {
        ip('netns', 'del', ns);
      } catch {
        // not there
      }
    }
  }
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}
