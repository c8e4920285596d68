/**
 * The real bundle when things go wrong: each failure is reported as `failed` with a specific
 * error, the exit code is non-zero, and a card that is not right is never called `success`.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ContractServer } from './support/contract-server';
import {
  buildInstallFixture,
  installerArgs,
  makeCard,
  servedImage,
  type InstallFixture,
} from './support/install-fixture';
import { expectExit, runInstaller } from './support/run-installer';

jest.setTimeout(120_000);

let fixture: InstallFixture;
let server: ContractServer | undefined;

beforeAll(() => {
  fixture = buildInstallFixture('install-failures');
});
afterAll(() => fixture?.remove());
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

/** The reports end with exactly one `failed`, whose error matches; `success` never appears. */
function expectFailedWith(contract: ContractServer, error: RegExp): void {
  const statuses = contract.acceptedReports.map((report) => report.status);
  expect(statuses[0]).toBe('starting');
  expect(statuses.at(-1)).toBe('failed');
  expect(statuses.filter((status) => status === 'failed')).toHaveLength(1);
  expect(statuses).not.toContain('success');
  expect(contract.acceptedReports.at(-1)?.error).toMatch(error);
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** An offset inside the image's data, past the first MiB, in the middle of a mapped range. */
function mappedOffset(): number {
  const range = fixture.bmap.ranges.find((candidate) => candidate.first * 4096 >= 4 << 20) as {
    first: number;
    last: number;
  };
  return Math.floor(((range.first + range.last) / 2) * 4096) + 123;
}

describe('a failing install (the real bundle)', () => {
  it('refuses a stored image with one flipped byte in a mapped range, and leaves the card unbootable', async () => {
    server = await ContractServer.start({ image: servedImage(fixture, 'raw', { withBlockMap: true }) });
    server.faults.flipByteAt = mappedOffset();
    const card = makeCard(fixture.dir, 'flip-map.card', 96 << 20, 'used');

    const run = await runInstaller(installerArgs(server, card));

    expectExit(run, 1);
    expectFailedWith(server, /does not match its block map: block map range \d+ \(blocks \d+-\d+\), bytes \d+-\d+/);
    // The partition table region was zeroed first and never written: the card does not boot a half-image.
    expect(
      readFileSync(card)
        .subarray(0, 1 << 20)
        .equals(Buffer.alloc(1 << 20)),
    ).toBe(true);
  });

  it('refuses a stored image with one flipped byte when there is no block map (whole-image SHA-256)', async () => {
    server = await ContractServer.start({ image: servedImage(fixture, 'raw', { withBlockMap: false }) });
    server.faults.flipByteAt = mappedOffset();
    const card = makeCard(fixture.dir, 'flip-whole.card', 96 << 20, 'used');

    const run = await runInstaller(installerArgs(server, card));

    expectExit(run, 1);
    expectFailedWith(server, new RegExp(`SHA-256 is [0-9a-f]{64} but the server says ${fixture.image.sha256}`));
  });

  it('refuses a damaged xz stream', async () => {
    server = await ContractServer.start({ image: servedImage(fixture, 'xz', { withBlockMap: true }) });
    server.faults.flipByteAt = Math.floor(fixture.forms.xz.size / 2);
    const card = makeCard(fixture.dir, 'flip-xz.card', 96 << 20, 'used');

    const run = await runInstaller(installerArgs(server, card));

    expectExit(run, 1);
    expectFailedWith(server, /the image does not decompress \(xz: .+\): the stored image is damaged/);
  });

  it('reports a card that is too small and writes nothing to it', async () => {
    server = await ContractServer.start({ image: servedImage(fixture, 'raw', { withBlockMap: true }) });
    const card = makeCard(fixture.dir, 'small.card', 64 << 20, 'used');
    const before = sha256(card);

    const run = await runInstaller(installerArgs(server, card));

    expectExit(run, 1);
    expectFailedWith(
      server,
      /^card too small: .+ holds 64\.0 MiB \(67108864 bytes\) < image 96\.0 MiB \(100663296 bytes\)$/,
    );
    expect(sha256(card)).toBe(before);
    expect(server.imageRequests).toEqual([]);
  });

  it('reports a missing card', async () => {
    server = await ContractServer.start({ image: servedImage(fixture, 'raw', { withBlockMap: true }) });
    const missing = `${fixture.dir}/no-such-card`;

    const run = await runInstaller(installerArgs(server, missing));

    expectExit(run, 1);
    expectFailedWith(server, /^no card: .+no-such-card does not exist/);
    expect(server.configRequests[0].storageBytes).toBeUndefined();
  });

  it('gives up clearly when the server is down, after retrying for --config-wait', async () => {
    const down = await ContractServer.start({ image: servedImage(fixture, 'raw', { withBlockMap: true }) });
    const { url } = down;
    await down.stop(); // its port is now closed
    const card = makeCard(fixture.dir, 'down.card', 96 << 20, 'blank');
    const started = Date.now();

    const run = await runInstaller(installerArgs({ url }, card, '--config-wait', '1', '--retry-delay', '0.1'));

    expectExit(run, 3);
    expect(run.output.match(/is unreachable \(.*ECONNREFUSED.*\); asking again in/g)?.length).toBeGreaterThanOrEqual(2);
    expect(run.output).toMatch(/no configuration after 1 s and \d+ attempts: .+ nothing was written/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('does not retry a configuration request the server refuses as invalid (unknown venue)', async () => {
    server = await ContractServer.start({ image: servedImage(fixture, 'raw', { withBlockMap: true }) });
    const card = makeCard(fixture.dir, 'venue.card', 96 << 20, 'blank');

    const run = await runInstaller(installerArgs(server, card, '--venue', 'ZZZZ'));

    expectExit(run, 3);
    expect(run.output).toContain("refused this unit's configuration request (HTTP 404: unknown venue ZZZZ)");
    expect(server.configRequests).toHaveLength(1);
    expect(server.reports).toEqual([]);
  });
});
