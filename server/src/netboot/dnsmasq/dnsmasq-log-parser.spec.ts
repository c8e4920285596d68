import { parseDnsmasqLogLine } from './dnsmasq-log-parser';

describe('parseDnsmasqLogLine', () => {
  it('reads DHCP exchanges with and without an address', () => {
    expect(
      parseDnsmasqLogLine('Nov 26 01:14:27 dnsmasq-dhcp[2171]: 3143466335 DHCPDISCOVER(eth1) D8:3A:DD:12:34:56 '),
    ).toEqual({
      kind: 'dhcp-discover',
      interface: 'eth1',
      ip: null,
      mac: 'd8:3a:dd:12:34:56',
    });
    expect(
      parseDnsmasqLogLine('dnsmasq-dhcp[2171]: 3143466335 DHCPACK(eth1) 192.168.151.185 d8:3a:dd:12:34:56 pi'),
    ).toEqual({
      kind: 'dhcp-ack',
      interface: 'eth1',
      ip: '192.168.151.185',
      mac: 'd8:3a:dd:12:34:56',
    });
  });

  it('reads TFTP outcomes, keeping paths with spaces whole', () => {
    const line = (text: string) => parseDnsmasqLogLine(`Nov 26 01:15:13 dnsmasq-tftp[3509]: ${text}`);
    expect(line('sent /srv/tftp/root/kernel_2712.img to 192.168.151.185')).toEqual({
      kind: 'tftp-sent',
      path: '/srv/tftp/root/kernel_2712.img',
      ip: '192.168.151.185',
    });
    expect(line('file /srv/tftp/root/abcd1234/config.txt not found for 192.168.151.185')).toEqual({
      kind: 'tftp-not-found',
      path: '/srv/tftp/root/abcd1234/config.txt',
      ip: '192.168.151.185',
    });
    expect(line('failed sending /srv/my tftp/x.img to 10.0.0.5')).toEqual({
      kind: 'tftp-failed',
      path: '/srv/my tftp/x.img',
      ip: '10.0.0.5',
    });
    expect(line('error 0 Early terminate received from 192.168.151.185')).toEqual({
      kind: 'tftp-error',
      code: 0,
      message: 'Early terminate',
      ip: '192.168.151.185',
    });
  });

  it('ignores everything else', () => {
    expect(parseDnsmasqLogLine('Nov 26 01:14:27 dnsmasq[2171]: started, version 2.90 DNS disabled')).toBeUndefined();
    expect(parseDnsmasqLogLine('dnsmasq-dhcp[1]: 3143466335 tags: pxe, rpi5, eth1')).toBeUndefined();
    expect(parseDnsmasqLogLine('dnsmasq-tftp[1]: TFTP root is /srv/tftp')).toBeUndefined();
    expect(parseDnsmasqLogLine('')).toBeUndefined();
  });
});
