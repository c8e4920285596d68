import { metaDataWithInstance, userDataWithHostname } from './cloud-init';

describe('cloud-init seed', () => {
  it('sets the hostname in #cloud-config user-data and keeps the rest', () => {
    const master =
      '#cloud-config\nhostname: raspberrypi\nmanage_etc_hosts: false\nusers:\n  - name: pi\n    groups: sudo\n';
    expect(userDataWithHostname(master, 'KXP2-CORO-007')).toBe(
      '#cloud-config\nusers:\n  - name: pi\n    groups: sudo\nhostname: KXP2-CORO-007\nmanage_etc_hosts: true\n',
    );
  });

  it('creates user-data when there is none, and leaves other formats alone', () => {
    expect(userDataWithHostname(undefined, 'X')).toBe('#cloud-config\nhostname: X\nmanage_etc_hosts: true\n');
    expect(userDataWithHostname('#!/bin/sh\necho hi\n', 'X')).toBeUndefined();
  });

  it('gives meta-data a new instance id and the hostname', () => {
    expect(metaDataWithInstance('instance-id: master-image\ndsmode: local\n', 'rpi-deploy-42', 'X')).toBe(
      'instance-id: rpi-deploy-42\nlocal-hostname: X\ndsmode: local\n',
    );
    expect(metaDataWithInstance(undefined, 'rpi-deploy-42', 'X')).toBe(
      'instance-id: rpi-deploy-42\nlocal-hostname: X\n',
    );
  });
});
