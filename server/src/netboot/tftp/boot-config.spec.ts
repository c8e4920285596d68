import { parseImageBootConfig } from './boot-config';

describe('parseImageBootConfig', () => {
  it('keeps what a Pi 5 applies and skips the sections of other boards', () => {
    const config = [
      '# comment',
      'dtparam=audio=on',
      'camera_auto_detect=1',
      'dtoverlay=vc4-kms-v3d,cma-512 # GPU',
      '[pi4]',
      'dtoverlay=vc4-fkms-v3d',
      'kernel=kernel8.img',
      '[pi5]',
      'dtoverlay=imx708',
      '[cm4]',
      'dtoverlay=dwc2',
      '[all]',
      'dtoverlay=imx708',
      'dtoverlay=i2c-rtc,ds3231',
    ].join('\r\n');
    expect(parseImageBootConfig(config)).toEqual({
      kernel: null,
      overlays: ['vc4-kms-v3d', 'imx708', 'i2c-rtc'],
      deviceTreeLines: [
        'dtparam=audio=on',
        'dtoverlay=vc4-kms-v3d,cma-512',
        'dtoverlay=imx708',
        'dtoverlay=imx708',
        'dtoverlay=i2c-rtc,ds3231',
      ],
    });
  });

  it('takes the kernel named for a Pi 5', () => {
    expect(parseImageBootConfig('[pi5]\nkernel=kernel8.img\n').kernel).toBe('kernel8.img');
    expect(parseImageBootConfig('').kernel).toBeNull();
  });
});
