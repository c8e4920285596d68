/**
 * The real bundle against the contract stand-in server, with a regular file as the card: the
 * image is written, verified and personalised, and the server hears every phase.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { checkExt4, checkFat, listExt4, listFat, readExt4File, readFatFile, statExt4 } from '@rpi-deploy/test-kit';
import { differingBlocks, expectSuccessfulTrail } from './support/card-checks';
import { ContractServer } from './support/contract-server';
import {
  buildInstallFixture,
  installerArgs,
  makeCard,
  servedImage,
  UNIT_HOSTNAME,
  type InstallFixture,
} from './support/install-fixture';
import { expectExit, runInstaller } from './support/run-installer';

jest.setTimeout(120_000);

const FIRST_BOOT_TOKENS =
  'systemd.run=/boot/firmware/firstrun.sh systemd.run_success_action=reboot systemd.unit=kernel-command-line.target';

let fixture: InstallFixture;
let server: ContractServer | undefined;

beforeAll(() => {
  fixture = buildInstallFixture('install');
});
afterAll(() => fixture?.remove());
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

function onlyDeployment(contract: ContractServer) {
  const deployments = [...contract.deployments.values()];
  expect(deployments).toHaveLength(1);
  return deployments[0];
}

/** The card holds the image, personalised as UNIT_HOSTNAME, and nothing else. */
function expectPersonalisedImage(card: string): void {
  const { image } = fixture;
  const { boot, root } = image.partitions;
  const diff = differingBlocks(card, image);
  // Partition table, unmapped zeros and all untouched data are identical; only edited blocks differ.
  expect(diff.outsidePartitions).toEqual([]);
  expect(diff.inside).toBeGreaterThan(0);
  expect(diff.inside).toBeLessThan(64);
  expect(
    readFileSync(card)
      .subarray(0, 1 << 20)
      .equals(readFileSync(image.path).subarray(0, 1 << 20)),
  ).toBe(true);

  const ext4 = (path: string) => readExt4File(card, root.startBytes, path).toString('utf8');
  expect(ext4('/etc/hostname')).toBe(`${UNIT_HOSTNAME}\n`);
  expect(ext4('/etc/hosts')).toBe(image.hosts.replace('127.0.1.1\traspberrypi', `127.0.1.1\t${UNIT_HOSTNAME}`));
  expect(statExt4(card, root.startBytes, '/etc/machine-id')).toMatchObject({ size: 0, mode: 0o100444 });
  expect(listExt4(card, root.startBytes, '/etc/ssh').map((entry) => entry.name)).toEqual(['sshd_config']);
  for (const [path, sha256] of Object.entries(image.dataFiles)) {
    expect(
      createHash('sha256')
        .update(readExt4File(card, root.startBytes, path))
        .digest('hex'),
    ).toBe(sha256);
  }
  expect(checkExt4(card, root.startBytes)).toMatchObject({ clean: true });
  expect(checkFat(card, boot.startBytes, boot.sizeBytes)).toMatchObject({ clean: true });

  expect(readFatFile(card, boot.startBytes, 'cmdline.txt').toString('utf8')).toBe(
    `${image.cmdline.trim()} ${FIRST_BOOT_TOKENS}\n`,
  );
  expect(listFat(card, boot.startBytes)).toContain('firstrun.sh');
  const firstrun = readFatFile(card, boot.startBytes, 'firstrun.sh').toString('utf8');
  expect(firstrun).toMatch(/^#!\/bin\/sh\n/);
  expect(firstrun).toContain('ssh-keygen -A');
  expect(firstrun).toContain('rm -f "$BOOT_DIR/firstrun.sh"');
  expect(
    readFatFile(card, boot.startBytes, 'kernel_2712.img').equals(
      readFatFile(image.path, boot.startBytes, 'kernel_2712.img'),
    ),
  ).toBe(true);
}

describe('installing onto a card (the real bundle, a regular file as the card)', () => {
  it('writes a raw image with a block map, fetching only the mapped ranges, over a used card', async () => {
    server = await ContractServer.start({ image: servedImage(fixture, 'raw', { withBlockMap: true }) });
    const card = makeCard(fixture.dir, 'raw.card', 128 << 20, 'used');

    const run = await runInstaller(installerArgs(server, card));

    expectExit(run, 0);
    const deployment = onlyDeployment(server);
    const reports = expectSuccessfulTrail(server.reports, deployment.id, deployment.token);
    expect(reports.at(-1)?.message).toContain(UNIT_HOSTNAME);
    expect(server.configRequests[0]).toMatchObject({
      serial: '10000000abc12345',
      mac: 'd8:3a:dd:12:34:56',
      storageBytes: 128 << 20,
    });
    expectPersonalisedImage(card);

    const gets = server.imageRequests.filter((request) => request.path.endsWith('.img'));
    expect(gets.every((request) => request.status === 206)).toBe(true);
    const transferred = gets.reduce((sum, request) => sum + request.bytesSent, 0);
    const mapped = fixture.bmap.mappedBlocks * 4096;
    expect(transferred).toBeGreaterThanOrEqual(mapped);
    expect(transferred).toBeLessThan(mapped + gets.length * (1 << 20));
    expect(transferred).toBeLessThan(fixture.image.size / 4);
    // Unmapped blocks were never written: the card file stays sparse.
    expect(statSync(card).blocks * 512).toBeLessThan(fixture.image.size / 2);
  });

  it('resumes an xz stream that is cut and stalls mid-download, without starting over', async () => {
    server = await ContractServer.start({ image: servedImage(fixture, 'xz', { withBlockMap: true }) });
    server.faults.imageGets.push(
      { bytes: 1_000_000, then: 'cut' },
      { bytes: 700_000, then: 'stall' },
      { bytes: 1_500_000, then: 'cut' },
      { bytes: 300, then: 'cut' },
    );
    const card = makeCard(fixture.dir, 'xz.card', 100 << 20, 'used');

    const run = await runInstaller(installerArgs(server, card, '--stall-timeout', '1'));

    expectExit(run, 0);
    const deployment = onlyDeployment(server);
    expectSuccessfulTrail(server.reports, deployment.id, deployment.token);
    expectPersonalisedImage(card);
    expect(run.output).toMatch(/download interrupted at byte \d+ \(no data for 1 s\)/);

    const gets = server.imageRequests.filter((request) => request.path.endsWith('.img.xz'));
    expect(gets).toHaveLength(5);
    expect(gets[0]).toMatchObject({ range: 'bytes=0-', ifRange: undefined, status: 206 });
    const etag = gets[1].ifRange;
    expect(etag).toMatch(/^".+"$/);
    for (const [index, request] of gets.entries()) {
      if (index === 0) continue;
      // Each resume starts at or before where the previous answer stopped (bytes in flight may be lost), never at 0.
      const resumedAt = Number(/^bytes=(\d+)-$/.exec(request.range ?? '')?.[1]);
      const sentSoFar = gets.slice(0, index).reduce((sum, previous) => sum + previous.bytesSent, 0);
      expect(resumedAt).toBeGreaterThan(0);
      expect(resumedAt).toBeLessThanOrEqual(sentSoFar);
      expect(request).toMatchObject({ ifRange: etag, status: 206 });
    }
    const transferred = gets.reduce((sum, request) => sum + request.bytesSent, 0);
    expect(transferred).toBeLessThan(2 * fixture.forms.xz.size);
  });

  it('resumes a ranged download of a raw image that is cut several times', async () => {
    server = await ContractServer.start({ image: servedImage(fixture, 'raw', { withBlockMap: true }) });
    // The first fetch group is the 4 KiB partition table block: three cuts inside it, then the rest.
    server.faults.imageGets.push({ bytes: 1000, then: 'cut' }, { bytes: 0, then: 'cut' }, { bytes: 2000, then: 'cut' });
    const card = makeCard(fixture.dir, 'ranged.card', 96 << 20, 'used');

    const run = await runInstaller(installerArgs(server, card));

    expectExit(run, 0);
    expectPersonalisedImage(card);
    expect(run.output.match(/download interrupted/g)).toHaveLength(3);
  });

  it('writes a zstd image without a block map, after the server answered 409 twice', async () => {
    server = await ContractServer.start({ image: servedImage(fixture, 'zstd', { withBlockMap: false }) });
    server.faults.configAnswers.push(
      { status: 409, message: 'no active deployment batch' },
      { status: 409, message: 'no free kart number in the pool' },
    );
    const card = makeCard(fixture.dir, 'zstd.card', 96 << 20, 'blank');

    const run = await runInstaller(installerArgs(server, card));

    expectExit(run, 0);
    expect(server.configRequests).toHaveLength(3);
    expect(run.output).toContain('cannot configure this unit yet (HTTP 409: no active deployment batch)');
    expect(run.output).toContain('HTTP 409: no free kart number in the pool');
    const deployment = onlyDeployment(server);
    expectSuccessfulTrail(server.reports, deployment.id, deployment.token);
    expectPersonalisedImage(card);
    expect(server.imageRequests.some((request) => request.path.endsWith('.bmap'))).toBe(false);
  });

  it('writes a gzip image and gets its reports through a server that fails some of them', async () => {
    server = await ContractServer.start({ image: servedImage(fixture, 'gzip', { withBlockMap: true }) });
    server.faults.statusFailures = 2;
    const card = makeCard(fixture.dir, 'gzip.card', 96 << 20, 'used');

    const run = await runInstaller(installerArgs(server, card));

    expectExit(run, 0);
    expect(server.reports.slice(0, 2).map((received) => received.status)).toEqual([503, 503]);
    expect(server.reports[2]).toMatchObject({ status: 200, report: { status: 'starting' } });
    const deployment = onlyDeployment(server);
    expectSuccessfulTrail(server.reports, deployment.id, deployment.token);
    expectPersonalisedImage(card);
  });
});
