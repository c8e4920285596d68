import { parseKernelCommandLine } from './kernel-cmdline';

describe('parseKernelCommandLine', () => {
  it('reads every deploy.* parameter and ignores the rest', () => {
    const cmdline =
      'console=ttyAMA10,115200 root=/dev/ram0 deploy.server=http://192.168.151.1:5001 deploy.device=/dev/vda ' +
      'deploy.product=KXP2 deploy.venue=CORO deploy.modules=virtio_mmio,virtio_net deploy.debug=1 deploy.future=x\n';
    expect(parseKernelCommandLine(cmdline)).toEqual({
      server: 'http://192.168.151.1:5001',
      device: '/dev/vda',
      product: 'KXP2',
      venue: 'CORO',
      modules: ['virtio_mmio', 'virtio_net'],
      debug: true,
    });
  });

  it('returns nothing for a command line without deploy parameters', () => {
    expect(parseKernelCommandLine('console=ttyAMA0 quiet')).toEqual({});
    expect(parseKernelCommandLine('')).toEqual({});
  });

  it('treats deploy.debug=0 as off', () => {
    expect(parseKernelCommandLine('deploy.debug=0').debug).toBe(false);
  });
});
