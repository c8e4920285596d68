import { dnsmasqSettingsProblems, renderDnsmasqConfig, type DnsmasqSettings } from './dnsmasq-config';

const settings: DnsmasqSettings = {
  interface: 'eth1',
  serverIp: '192.168.151.1',
  dhcpRange: { first: '192.168.151.100', last: '192.168.151.250' },
  netmask: '255.255.255.0',
  leaseTime: '1h',
  tftpRoot: '/srv/tftp/root',
  tftpMax: 1000,
};

describe('dnsmasq configuration', () => {
  it('has no problems with sound settings', () => {
    expect(dnsmasqSettingsProblems(settings)).toEqual([]);
  });

  it('names every problem of unsound settings', () => {
    expect(
      dnsmasqSettingsProblems({
        ...settings,
        serverIp: '192.168.151.150',
        dhcpRange: { first: '192.168.151.200', last: '192.168.151.100' },
        tftpRoot: '/srv/tftp root',
        leaseTime: 'soon',
      }),
    ).toEqual([
      'the DHCP range starts after it ends (192.168.151.200 > 192.168.151.100)',
      'lease time "soon" is not like 1h or 3600',
      'TFTP root "/srv/tftp root" must be an absolute path without spaces, commas or #',
    ]);
    expect(dnsmasqSettingsProblems({ ...settings, dhcpRange: { first: '10.0.0.1', last: '10.0.0.9' } })[0]).toMatch(
      /not in the server's subnet/,
    );
    expect(dnsmasqSettingsProblems({ ...settings, interface: 'eth1; rm -rf' })[0]).toMatch(/not a valid name/);
    expect(dnsmasqSettingsProblems({ ...settings, serverIp: '192.168.151.150' })).toEqual([
      'the server IP 192.168.151.150 lies inside the DHCP range',
    ]);
  });

  it('refuses to render unsound settings rather than write a broken file', () => {
    expect(() => renderDnsmasqConfig({ ...settings, serverIp: 'x' })).toThrow(/server IP "x" is not an IPv4 address/);
  });

  it('leaves out the hook, log and lease lines when not given, and never has a directive twice', () => {
    const lines = renderDnsmasqConfig(settings)
      .split('\n')
      .filter((line) => line && !line.startsWith('#'));
    expect(lines.some((line) => /^(dhcp-script|log-facility|dhcp-leasefile)=/.test(line))).toBe(false);
    const singletons = lines.filter((line) => !line.startsWith('dhcp-match=')).map((line) => line.split('=')[0]);
    expect(new Set(singletons).size).toBe(singletons.length);
  });
});
