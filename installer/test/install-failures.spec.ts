/**
 * The real bundle against the real server on loopback when things go wrong: each failure is
 * reported as `failed` with a specific error (and lands in the deployment's history), the exit
 * code is non-zero, and a card that is not right is never called `success`. Network faults come
 * from a proxy in front of the server; the few cases the real server cannot produce use the
 * contract stand-in (see the last describe).
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import type { DeploymentDetailDto, ImageDto } from '@rpi-deploy/contracts';
import { freePort, uploadImage } from '@rpi-deploy/test-kit';
import { ADMIN_PASSWORD, api, bootTestServer, login, type TestServer } from '../../server/test/support/test-server';
import { differingBlocks } from './support/card-checks';
import { ContractServer } from './support/contract-server';
import { FaultProxy } from './support/fault-proxy';
import {
  buildInstallFixture,
  installerArgs,
  makeCard,
  servedImage,
  type InstallFixture,
} from './support/install-fixture';
import { expectExit, runInstaller, type InstallerRun } from './support/run-installer';

jest.setTimeout(180_000);

const MiB = 1 << 20;
let fixture: InstallFixture;

beforeAll(() => {
  fixture = buildInstallFixture('install-failures');
});
afterAll(() => fixture?.remove());

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** An offset inside the image's data, past the first 4 MiB, in the middle of a mapped range. */
function mappedOffset(): number {
  const range = fixture.bmap.ranges.find((candidate) => candidate.first * 4096 >= 4 * MiB) as {
    first: number;
    last: number;
  };
  return Math.floor(((range.first + range.last) / 2) * 4096) + 123;
}

function flipByte(path: string, offset: number): void {
  const fd = openSync(path, 'r+');
  try {
    const byte = Buffer.alloc(1);
    readSync(fd, byte, 0, 1, offset);
    byte[0] ^= 0xff;
    writeSync(fd, byte, 0, 1, offset);
  } finally {
    closeSync(fd);
  }
}

function bytesAt(path: string, offset: number, length: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const bytes = Buffer.alloc(length);
    readSync(fd, bytes, 0, length, offset);
    return bytes;
  } finally {
    closeSync(fd);
  }
}

describe('a failing install against the real server', () => {
  let t: TestServer;
  let proxy: FaultProxy;
  let token: string;
  let image: ImageDto;
  let ports: { management: number; deployment: number };

  /** The real server on fixed loopback ports (so it can be stopped and started again), handing out the proxy's address. */
  const boot = () =>
    bootTestServer(
      {
        MGMT_PORT: String(ports.management),
        DEPLOY_PORT: String(ports.deployment),
        DEPLOY_PUBLIC_URL: proxy.url,
      },
      t?.dataDir,
    );

  beforeAll(async () => {
    proxy = await FaultProxy.start();
    ports = { management: await freePort(), deployment: await freePort() };
    t = await boot();
    proxy.upstream = t.deployment;
    token = (await login(t.management, 'admin', ADMIN_PASSWORD)).accessToken;
    await api(t.management, '/api/venues', { method: 'POST', token, body: { code: 'CORO', name: 'Corona' } });
    image = await uploadImage(t.management, token, {
      filePath: fixture.forms.raw.path,
      product: 'RXP2',
      version: '1.0.0',
      activate: true,
    });
  });
  afterAll(async () => {
    await t?.close();
    await proxy?.stop();
  });
  afterEach(() => {
    proxy.cutImageGetsAfter.length = 0;
    proxy.imageGets.length = 0;
    proxy.beforeImageAnswerEnds = undefined;
  });

  /** Installs through the proxy as unit RXP2/CORO unless `extra` says otherwise. */
  const install = (card: string, ...extra: string[]) =>
    runInstaller(installerArgs({ url: proxy.url }, card, '--product', 'RXP2', '--venue', 'CORO', ...extra));

  /** The deployment this run was given, as the dashboard sees it. */
  async function deploymentOf(run: InstallerRun): Promise<DeploymentDetailDto> {
    const id = /deployment (\S+): this unit becomes/.exec(run.output)?.[1];
    if (!id) throw new Error(`the installer never got a deployment:\n${run.output}`);
    return (await api(t.management, `/api/deployments/${id}`, { token })).body as DeploymentDetailDto;
  }

  /** The deployment ended `failed` with a matching error, after `starting`, and never `success`. */
  async function expectFailedWith(run: InstallerRun, error: RegExp): Promise<DeploymentDetailDto> {
    expectExit(run, 1);
    const deployment = await deploymentOf(run);
    const statuses = deployment.events.map((event) => event.status);
    expect(deployment.status).toBe('failed');
    expect(deployment.error).toMatch(error);
    expect(statuses[0]).toBe('starting');
    expect(statuses).not.toContain('success');
    return deployment;
  }

  it('resumes a download the network cuts several times mid-stream, and the card verifies', async () => {
    proxy.cutImageGetsAfter.push(100_517, 50_000, 300_003);
    const card = makeCard(fixture.dir, 'cut.card', 128 * MiB, 'used');

    const run = await install(card);

    expectExit(run, 0);
    expect(run.output.match(/download interrupted at byte \d+ \(.+\); resuming in/g)).toHaveLength(3);
    // Each cut answer is followed by a request for exactly the next byte.
    proxy.imageGets.forEach((get, index) => {
      if (!get.cut) return;
      const start = Number(/^bytes=(\d+)-/.exec(get.range ?? '')?.[1]);
      expect(proxy.imageGets[index + 1].range).toMatch(new RegExp(`^bytes=${start + get.bytesSent}-`));
    });
    expect(proxy.imageGets.filter((get) => get.cut)).toHaveLength(3);
    expect(differingBlocks(card, fixture.image).outsidePartitions).toEqual([]);
    expect(run.output).toMatch(/verified [\d.]+ MiB from the card/);
    expect((await deploymentOf(run)).status).toBe('success');
  });

  it('refuses a stored image with one flipped byte, and leaves the card unbootable', async () => {
    const stored = `${t.dataDir}/images/${image.filename}`;
    const offset = mappedOffset();
    const card = makeCard(fixture.dir, 'flip-stored.card', 128 * MiB, 'used');
    flipByte(stored, offset);
    let run: InstallerRun;
    try {
      run = await install(card);
    } finally {
      flipByte(stored, offset);
    }

    await expectFailedWith(
      run,
      /does not match its block map: block map range \d+ \(blocks \d+-\d+\), bytes \d+-\d+, .+ the stored image is corrupt/,
    );
    // The partition table region was zeroed first and never written: the card does not boot a half-image.
    expect(bytesAt(card, 0, MiB).equals(Buffer.alloc(MiB))).toBe(true);
  });

  it('fails a card that does not keep what was written (a byte flipped on it after writing)', async () => {
    const offset = mappedOffset();
    const lastMapped = (fixture.bmap.ranges.at(-1) as { last: number }).last * 4096;
    expect(Math.floor(offset / (4 * MiB))).toBeLessThan(Math.floor(lastMapped / (4 * MiB)));
    const card = makeCard(fixture.dir, 'flip-card.card', 128 * MiB, 'used');
    const expected = bytesAt(fixture.image.path, offset, 1);
    let flipped = false;
    // The last answer is held back, so the installer cannot have verified anything yet; the byte is
    // flipped once the writer has put it on the card (a card that is random there until then).
    proxy.beforeImageAnswerEnds = async (lastByte) => {
      if (lastByte < lastMapped) return;
      for (let waited = 0; !bytesAt(card, offset, 1).equals(expected); waited += 20) {
        if (waited > 20_000) throw new Error(`byte ${offset} never reached the card`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      flipByte(card, offset);
      flipped = true;
    };

    const run = await install(card);

    expect(flipped).toBe(true);
    const deployment = await expectFailedWith(
      run,
      /^checksum mismatch at offset \d+: the card's bytes \d+-\d+ \(block map range \d+ \(blocks \d+-\d+\)\) have SHA-256 [0-9a-f]{64}, the image [0-9a-f]{64}; the server sends these bytes intact, so the card is faulty or they were damaged on the way to it/,
    );
    const [first, last] = (/the card's bytes (\d+)-(\d+)/.exec(deployment.error ?? '') ?? []).slice(1).map(Number);
    expect(offset).toBeGreaterThanOrEqual(first);
    expect(offset).toBeLessThanOrEqual(last);
    expect(deployment.events.map((event) => event.status)).toContain('verifying');
  });

  it('reports a card that is too small and writes nothing to it', async () => {
    const card = makeCard(fixture.dir, 'small.card', 64 * MiB, 'used');
    const before = sha256(card);

    const run = await install(card);

    await expectFailedWith(
      run,
      /^card too small: .+ holds 64\.0 MiB \(67108864 bytes\) < image 96\.0 MiB \(100663296 bytes\)$/,
    );
    expect(sha256(card)).toBe(before);
    expect(proxy.imageGets).toEqual([]);
  });

  it('reports a missing card', async () => {
    const run = await install(`${fixture.dir}/no-such-card`);

    const deployment = await expectFailedWith(run, /^no card: .+no-such-card does not exist/);
    expect(deployment.storageBytes).toBeNull();
  });

  it('waits for a server that is down at start, and installs once it is up', async () => {
    await t.close({ keepData: true });
    const card = makeCard(fixture.dir, 'down-then-up.card', 128 * MiB, 'used');
    const running = runInstaller(
      installerArgs({ url: `http://127.0.0.1:${ports.deployment}` }, card, '--product', 'RXP2', '--venue', 'CORO'),
    );
    await new Promise((resolve) => setTimeout(resolve, 1500));
    t = await boot();
    proxy.upstream = t.deployment;

    const run = await running;

    expectExit(run, 0);
    expect(run.output).toMatch(/is unreachable \(.*ECONNREFUSED.*\); asking again in/);
    expect((await deploymentOf(run)).status).toBe('success');
  });

  it('gives up clearly when the server stays down for --config-wait, and writes nothing', async () => {
    const closedPort = await freePort(); // nothing listens there
    const card = makeCard(fixture.dir, 'down.card', 96 * MiB, 'used');
    const before = sha256(card);
    const started = Date.now();

    const run = await runInstaller(
      installerArgs({ url: `http://127.0.0.1:${closedPort}` }, card, '--config-wait', '1', '--retry-delay', '0.1'),
    );

    expectExit(run, 3);
    expect(run.output.match(/is unreachable \(.*ECONNREFUSED.*\); asking again in/g)?.length).toBeGreaterThanOrEqual(2);
    expect(run.output).toMatch(/no configuration after 1 s and \d+ attempts: .+ nothing was written/);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(sha256(card)).toBe(before);
  });

  it('does not retry a configuration request the server refuses as invalid (unknown venue)', async () => {
    const card = makeCard(fixture.dir, 'venue.card', 96 * MiB, 'blank');
    const before = (await api(t.management, '/api/deployments', { token })).body.total;

    const run = await install(card, '--venue', 'ZZZZ');

    expectExit(run, 3);
    expect(run.output).toMatch(/refused this unit's configuration request \(HTTP 404: Unknown venue "ZZZZ"\)/);
    expect(run.output.match(/configuration request/g)).toHaveLength(1);
    expect((await api(t.management, '/api/deployments', { token })).body.total).toBe(before);
  });

  it('keeps asking while the server answers 409 (no active batch), and installs once a batch is started', async () => {
    const card = makeCard(fixture.dir, 'batch.card', 128 * MiB, 'used');
    // No --product/--venue: a unit the server has not seen before takes them from the active batch,
    // and there is none yet.
    const newUnit = ['--serial', '10000000feedf00d', '--mac', 'd8:3a:dd:00:f0:0d'];
    const running = runInstaller(installerArgs({ url: proxy.url }, card, ...newUnit, '--retry-delay', '0.2'));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const batch = await api(t.management, '/api/batches', {
      method: 'POST',
      token,
      body: { venue: 'CORO', product: 'RXP2', count: 1 },
    });
    expect(batch.status).toBe(201);
    expect((await api(t.management, `/api/batches/${batch.body.id}/start`, { method: 'POST', token })).status).toBe(
      200,
    );

    const run = await running;

    expectExit(run, 0);
    expect(run.output).toMatch(/the server cannot configure this unit yet \(HTTP 409: .+\); asking again in/);
    const deployment = await deploymentOf(run);
    expect(deployment).toMatchObject({ status: 'success', product: 'RXP2', venue: 'CORO' });
  });
});

/**
 * The real server stores every image decompressed and always publishes a block map, so it never
 * serves a compressed stream or an image without a map: these two cases need the contract
 * stand-in, which can serve both (its fault injection flips a byte of what it serves).
 */
describe('a failing install from a server the real one cannot imitate (contract stand-in)', () => {
  let server: ContractServer | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  function expectStandInFailedWith(contract: ContractServer, error: RegExp): void {
    const statuses = contract.acceptedReports.map((report) => report.status);
    expect(statuses[0]).toBe('starting');
    expect(statuses.at(-1)).toBe('failed');
    expect(statuses.filter((status) => status === 'failed')).toHaveLength(1);
    expect(statuses).not.toContain('success');
    expect(contract.acceptedReports.at(-1)?.error).toMatch(error);
  }

  it('refuses a stored image with one flipped byte when there is no block map (whole-image SHA-256)', async () => {
    server = await ContractServer.start({ image: servedImage(fixture, 'raw', { withBlockMap: false }) });
    server.faults.flipByteAt = mappedOffset();
    const card = makeCard(fixture.dir, 'flip-whole.card', 96 * MiB, 'used');

    const run = await runInstaller(installerArgs(server, card));

    expectExit(run, 1);
    expectStandInFailedWith(server, new RegExp(`SHA-256 is [0-9a-f]{64} but the server says ${fixture.image.sha256}`));
  });

  it('refuses a damaged xz stream', async () => {
    server = await ContractServer.start({ image: servedImage(fixture, 'xz', { withBlockMap: true }) });
    server.faults.flipByteAt = Math.floor(fixture.forms.xz.size / 2);
    const card = makeCard(fixture.dir, 'flip-xz.card', 96 * MiB, 'used');

    const run = await runInstaller(installerArgs(server, card));

    expectExit(run, 1);
    expectStandInFailedWith(server, /the image does not decompress \(xz: .+\): the stored image is damaged/);
  });
});
