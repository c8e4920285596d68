import { hostsWithHostname } from './hosts-file';

describe('hostsWithHostname', () => {
  it("replaces the master's 127.0.1.1 line and keeps everything else", () => {
    const hosts = '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost\n\n127.0.1.1\traspberrypi\n';
    expect(hostsWithHostname(hosts, 'KXP2-CORO-007')).toBe(
      '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost\n\n127.0.1.1\tKXP2-CORO-007\n',
    );
  });

  it('adds the line when the master has none, and drops duplicates', () => {
    expect(hostsWithHostname('127.0.0.1\tlocalhost\n', 'RXP2-CORO-ABC12345')).toBe(
      '127.0.0.1\tlocalhost\n127.0.1.1\tRXP2-CORO-ABC12345\n',
    );
    expect(hostsWithHostname('127.0.1.1 a\n127.0.0.1 localhost\n127.0.1.1\tb\n', 'X')).toBe(
      '127.0.1.1\tX\n127.0.0.1 localhost\n',
    );
  });
});
