/**
 * The real bundle against the real server on loopback: image uploaded through the API, hostname
 * and image from /api/config, every phase in the deployment's history.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { DeploymentDetailDto } from '@rpi-deploy/contracts';
import { listFat, readExt4File, readFatFile, statExt4, uploadImage } from '@rpi-deploy/test-kit';
import { ADMIN_PASSWORD, api, bootTestServer, login, type TestServer } from '../../server/test/support/test-server';
import { differingBlocks } from './support/card-checks';
import {
  buildInstallFixture,
  installerArgs,
  makeCard,
  UNIT,
  UNIT_HOSTNAME,
  type InstallFixture,
} from './support/install-fixture';
import { expectExit, runInstaller } from './support/run-installer';
import { BOOT_CONFIRM_PATHS } from '../src/personalise/boot-confirm-unit';

jest.setTimeout(180_000);

describe('the installer against the real server', () => {
  let fixture: InstallFixture;
  let t: TestServer;
  let token: string;

  beforeAll(async () => {
    fixture = buildInstallFixture('real-server');
    t = await bootTestServer();
    token = (await login(t.management, 'admin', ADMIN_PASSWORD)).accessToken;
    await api(t.management, '/api/venues', { method: 'POST', token, body: { code: 'CORO', name: 'Corona' } });
  });
  afterAll(async () => {
    await t?.close();
    fixture?.remove();
  });

  it('installs an image uploaded as xz, personalises the card and leaves a complete history', async () => {
    await uploadImage(t.management, token, {
      filePath: fixture.forms.xz.path,
      product: 'RXP2',
      version: '1.0.0',
      activate: true,
    });
    const card = makeCard(fixture.dir, 'real.card', 128 << 20, 'used');

    const run = await runInstaller(installerArgs({ url: t.deployment }, card, '--product', 'RXP2', '--venue', 'CORO'));
    expectExit(run, 0);

    const { root, boot } = fixture.image.partitions;
    expect(differingBlocks(card, fixture.image).outsidePartitions).toEqual([]);
    expect(readExt4File(card, root.startBytes, '/etc/hostname').toString()).toBe(`${UNIT_HOSTNAME}\n`);
    expect(statExt4(card, root.startBytes, '/etc/machine-id')).toMatchObject({ size: 0 });
    expect(listFat(card, boot.startBytes)).toContain('firstrun.sh');
    expect(readFatFile(card, boot.startBytes, 'cmdline.txt').toString()).toContain(
      'systemd.run=/boot/firmware/firstrun.sh',
    );

    const page = (await api(t.management, `/api/deployments?status=success`, { token })).body;
    expect(page.total).toBe(1);
    const detail = (await api(t.management, `/api/deployments/${page.items[0].id}`, { token }))
      .body as DeploymentDetailDto;
    expect(detail).toMatchObject({
      hostname: UNIT_HOSTNAME,
      serial: UNIT.serial,
      mac: UNIT.mac,
      imageVersion: '1.0.0',
      progress: 100,
      storageBytes: 128 << 20,
    });
    const phases = detail.events.map((event) => event.status).filter((status, index, all) => status !== all[index - 1]);
    expect(phases).toEqual(['starting', 'downloading', 'verifying', 'customizing', 'success']);
    expect(detail.boot).toMatchObject({ state: 'waiting' });

    // The product's first boot: the script the card holds, with the settings the card holds (the
    // deployment's real token), run against a folder standing in for the booted root.
    const product = join(fixture.dir, 'product-root');
    for (const path of [BOOT_CONFIRM_PATHS.script, BOOT_CONFIRM_PATHS.settings, BOOT_CONFIRM_PATHS.service]) {
      mkdirSync(dirname(join(product, path)), { recursive: true });
      writeFileSync(join(product, path), readExt4File(card, root.startBytes, path));
    }
    // Not execFileSync: the server answering the script runs in this process.
    await promisify(execFile)('/bin/sh', [join(product, BOOT_CONFIRM_PATHS.script)], {
      env: { PATH: process.env['PATH'], RPI_DEPLOY_ROOT: product, RPI_DEPLOY_CONFIRM_SECONDS: '20' },
    });
    expect(existsSync(join(product, BOOT_CONFIRM_PATHS.settings))).toBe(false);
    const booted = (await api(t.management, `/api/deployments/${detail.id}`, { token })).body as DeploymentDetailDto;
    expect(booted.boot).toMatchObject({ state: 'booted' });
  });
});
