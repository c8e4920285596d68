import { ChangeDetectionStrategy, Component } from '@angular/core';

@Component({
  selector: 'app-netboot-page',
  template: `
    <h1>Netboot</h1>
    <p>
      The dnsmasq configuration, the TFTP boot files and the DHCP and TFTP events of units booting from the network.
    </p>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class NetbootPage {}
