import { resolveSettings, SettingsError } from './settings';

const detected = { serial: '10000000abc12345', mac: 'd8:3a:dd:12:34:56' };

function problems(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof SettingsError) return error.problems;
    throw error;
  }
  throw new Error('expected a SettingsError');
}

describe('resolveSettings', () => {
  it('takes defaults from the kernel command line and the hardware', () => {
    expect(resolveSettings({}, { server: 'http://10.0.2.2:5001/', product: 'rxp2', venue: 'coro' }, detected)).toEqual({
      server: 'http://10.0.2.2:5001',
      device: '/dev/mmcblk0',
      product: 'RXP2',
      venue: 'CORO',
      serial: '10000000abc12345',
      mac: 'd8:3a:dd:12:34:56',
      reboot: true,
      configWaitMs: 600_000,
      retryDelayMs: 1000,
      stallTimeoutMs: 30_000,
      downloadRetries: 10,
      leds: '/sys/class/leds',
      waitForOperator: 'never',
      poweroffCommand: ['poweroff', '-f'],
      peerListen: { host: '0.0.0.0', port: 5003 },
      seedSeconds: 60,
      capture: false,
    });
  });

  it('runs capture mode with deploy.mode=capture or --capture, and refuses another mode', () => {
    expect(resolveSettings({}, { server: 'http://x:1', mode: 'capture' }, detected).capture).toBe(true);
    expect(resolveSettings({ capture: true }, { server: 'http://x:1' }, detected).capture).toBe(true);
    expect(() => resolveSettings({}, { server: 'http://x:1', mode: 'copy' }, detected)).toThrow(
      'deploy.mode must be install or capture, got "copy"',
    );
  });

  it('takes the LED folder, when to wait for an operator and the power-off command from the flags', () => {
    const settings = resolveSettings(
      { server: 'http://x:1', leds: '/tmp/leds', waitForOperator: 'always', poweroffCommand: ' /bin/true  now ' },
      {},
      detected,
    );
    expect(settings).toMatchObject({
      leds: '/tmp/leds',
      waitForOperator: 'always',
      poweroffCommand: ['/bin/true', 'now'],
    });
    expect(() => resolveSettings({ server: 'http://x:1', waitForOperator: 'sometimes' }, {}, detected)).toThrow(
      '--wait-for-operator must be one of never, permanent, always, got "sometimes"',
    );
  });

  it('takes timings in seconds from the flags', () => {
    const settings = resolveSettings(
      { server: 'http://x:1', configWait: '2.5', retryDelay: '0.05', stallTimeout: '1', downloadRetries: '0' },
      {},
      detected,
    );
    expect(settings).toMatchObject({ configWaitMs: 2500, retryDelayMs: 50, stallTimeoutMs: 1000, downloadRetries: 0 });
  });

  it('rejects timings that are not numbers in range', () => {
    expect(
      problems(() =>
        resolveSettings(
          { server: 'http://x:1', configWait: 'soon', retryDelay: '0', stallTimeout: '-1', downloadRetries: '2.5' },
          {},
          detected,
        ),
      ),
    ).toEqual([
      '--config-wait must be a number >= 0, got "soon"',
      '--retry-delay must be a number >= 0.001, got "0"',
      '--stall-timeout must be a number >= 0.1, got "-1"',
      '--download-retries must be a whole number, got "2.5"',
    ]);
  });

  it('lets flags override everything', () => {
    const settings = resolveSettings(
      {
        server: 'http://127.0.0.1:9001',
        device: '/tmp/card.img',
        product: 'KXP2',
        serial: 'ABCDEF0123456789',
        mac: '02:00:00:00:00:01',
        reboot: false,
      },
      { server: 'http://10.0.2.2:5001', device: '/dev/vda', product: 'RXP2' },
      detected,
    );
    expect(settings).toMatchObject({
      server: 'http://127.0.0.1:9001',
      device: '/tmp/card.img',
      product: 'KXP2',
      serial: 'abcdef0123456789',
      mac: '02:00:00:00:00:01',
      reboot: false,
    });
  });

  it('lists every problem at once', () => {
    expect(
      problems(() => resolveSettings({ product: 'XYZ', venue: 'TOOLONG', serial: 'xyz', mac: '1:2' }, {}, {})),
    ).toEqual([
      'no server: pass --server URL or boot with deploy.server=URL',
      'unknown product "XYZ" (KXP2 or RXP2)',
      'venue must be 4 letters or digits, got "TOOLONG"',
      'serial must be 8-16 hex digits, got "xyz"',
      'MAC must look like aa:bb:cc:dd:ee:ff, got "1:2"',
    ]);
  });

  it('says where a missing identity should come from', () => {
    expect(problems(() => resolveSettings({ server: 'http://x:1' }, {}, {}))).toEqual([
      'no serial number: none in the device tree or /proc/cpuinfo; pass --serial',
      'no MAC address: /sys/class/net/eth0/address is missing; pass --mac',
    ]);
  });
});
