import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ChunkManifest, GeneralisePlanDto, ImageChangesDto, ImageDto } from '@rpi-deploy/contracts';
import { buildPiOsImage, sha256File, UNIT_TRACES, uploadFile, type PiOsImage } from '@rpi-deploy/test-kit';
import { cli } from './support/run-cli';
import { ADMIN_PASSWORD, api, bootTestServer, login, type TestServer } from './support/test-server';
import { testDatabases } from './support/test-databases';

const run = promisify(execFile);

let work: string;
let reference: PiOsImage;
let fatOnly: string;

/** Built once for both databases: making file systems is the slow part. */
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'generalise-'));
  reference = buildPiOsImage(work, {
    name: 'reference.img',
    sizeMiB: 64,
    bootSizeMiB: 36,
    randomDataMiB: 2,
    hostname: 'reference-unit',
    unitTraces: true,
    dpkgPackages: { 'base-files': '12.4+deb12u5' },
  });
  // A disk with a FAT partition only: nothing to generalise.
  fatOnly = join(work, 'fat-only.img');
  execFileSync('truncate', ['-s', '40M', fatOnly]);
  execFileSync('sfdisk', ['--quiet', fatOnly], { input: 'label: dos\nstart=2048, type=c\n' });
  execFileSync('mkfs.vfat', ['-F', '32', '-s', '1', '--offset', '2048', fatOnly, String(38 * 1024)]);
}, 300_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The root file system of an image file, read with debugfs (as an operator would check it). */
async function rootOf(image: string, offset: number, command: string): Promise<string> {
  const { stdout } = await run('debugfs', ['-R', command, `${image}?offset=${offset}`], { encoding: 'utf8' });
  return stdout;
}

describe.each(testDatabases())('generalise on $name', (database) => {
  let t: TestServer;
  let token: string;
  let source: ImageDto;

  const call = (method: string, path: string, body?: unknown) => api(t.management, path, { method, token, body });
  const stored = (image: ImageDto) => join(t.dataDir, 'images', image.filename);
  const upload = async (version: string, filePath: string): Promise<ImageDto> => {
    const answer = await uploadFile({
      url: `${t.management}/api/images`,
      token,
      fields: { product: 'KXP2', version },
      filePath,
    });
    expect(answer.status).toBe(201);
    return answer.body as ImageDto;
  };

  beforeAll(async () => {
    // A low zstd level: compression is not what is tested here, and level 19 is slow on a busy machine.
    t = await bootTestServer({ DATABASE_URL: await database.create(), CHUNK_ZSTD_LEVEL: '3' });
    token = (await login(t.management, 'admin', ADMIN_PASSWORD)).accessToken;
    source = await upload('5.0.0', reference.path);
  }, 180_000);

  afterAll(async () => {
    await t?.close();
    await database.dropAll();
  });

  it('lists what is always cleared and the unit-specific candidates', async () => {
    const answer = await call('GET', `/api/images/${source.id}/generalise`);
    expect(answer.status).toBe(200);
    const plan = answer.body as GeneralisePlanDto;
    expect(plan.always.map((item) => item.path).sort()).toEqual(
      ['/etc/hostname', '/etc/hosts', '/etc/machine-id', ...reference.sshHostKeys].sort(),
    );
    expect(plan.candidates.map((candidate) => [candidate.path, candidate.kind, candidate.action])).toEqual([
      ['/etc/NetworkManager/system-connections/Venue WiFi.nmconnection', 'network-connection', 'remove'],
      ['/home/pi/.bash_history', 'shell-history', 'remove'],
      ['/root/.bash_history', 'shell-history', 'remove'],
      ['/var/lib/cloud/instance', 'cloud-init', 'remove'],
      ['/var/lib/cloud/instances/reference-unit', 'cloud-init', 'remove'],
      ['/var/lib/systemd/random-seed', 'machine-state', 'remove'],
      ['/var/log/syslog', 'log', 'empty'],
      ['/var/log/syslog.1', 'log', 'remove'],
    ]);
  });

  it('stores a generalised copy as a new version: identity gone, chosen traces cleared, the original untouched', async () => {
    const before = sha256File(stored(source));
    const clear = [
      '/root/.bash_history',
      '/etc/NetworkManager/system-connections/Venue WiFi.nmconnection',
      '/var/lib/cloud/instance',
      '/var/lib/cloud/instances/reference-unit',
      '/var/log/syslog',
    ];
    const answer = await call('POST', `/api/images/${source.id}/generalise`, { version: '5.0.0-g', clear });
    expect(answer.status).toBe(201);
    const copy = answer.body as ImageDto;
    expect(copy).toMatchObject({ product: 'KXP2', version: '5.0.0-g', active: false, size: source.size });
    expect(copy.description).toMatch(/Generalised from 5\.0\.0/);
    expect(copy.sha256).not.toBe(source.sha256);

    // The original: same bytes, same record.
    expect(sha256File(stored(source))).toBe(before);
    expect(before).toBe(source.sha256);
    expect((await call('GET', `/api/images/${source.id}`)).body).toMatchObject({ sha256: source.sha256 });

    // The copy's SHA-256 and block map describe its bytes: bmaptool copies it, checking every range.
    const file = stored(copy);
    expect(sha256File(file)).toBe(copy.sha256);
    const written = join(work, `bmaptool-${database.name}.img`);
    await run('bmaptool', ['copy', '--bmap', `${file}.bmap`, `${t.deployment}/images/${copy.filename}`, written]);
    expect(sha256File(written)).toBe(copy.sha256);

    // Its chunks are in the store, and those of the 1 MiB cells no edit touched are the original's.
    const manifest = (await (await fetch(`${t.deployment}/images/${copy.filename}.chunks`)).json()) as ChunkManifest;
    expect(manifest.chunks.reduce((sum, chunk) => sum + chunk.length, 0)).toBe(copy.mappedBytes);
    const changes = (await call('GET', `/api/images/${copy.id}/changes?from=${source.id}`)).body as ImageChangesDto;
    expect(changes.sharedBytes).toBeGreaterThan(0);
    expect(changes.sharedBytes).toBeLessThan(copy.mappedBytes);

    const offset = reference.partitions.root.startBytes;
    const cat = (path: string) => rootOf(file, offset, `cat "${path}"`);
    expect(await cat('/etc/machine-id')).toBe('');
    expect(await rootOf(file, offset, 'stat /etc/machine-id')).toMatch(/Mode:\s+0444/);
    expect(await cat('/etc/hostname')).toBe('');
    const hosts = await cat('/etc/hosts');
    expect(hosts).toContain('127.0.0.1\tlocalhost');
    expect(hosts).not.toMatch(/127\.0\.1\.1/);
    expect(await rootOf(file, offset, 'ls /etc/ssh')).not.toMatch(/ssh_host_/);
    expect(await rootOf(file, offset, 'ls /etc/ssh')).toMatch(/sshd_config/);
    expect(await cat('/var/log/syslog')).toBe('');
    for (const gone of ['/root/.bash_history', '/var/lib/cloud/instances/reference-unit', '/var/lib/cloud/instance']) {
      expect(await rootOf(file, offset, `stat ${gone}`)).not.toMatch(/Inode:/);
    }
    expect(await rootOf(file, offset, 'ls "/etc/NetworkManager/system-connections"')).not.toMatch(/Venue/);
    // Kept, as not chosen.
    expect(await cat('/home/pi/.bash_history')).toBe(UNIT_TRACES['/home/pi/.bash_history']);
    expect(await cat('/var/log/syslog.1')).toBe(UNIT_TRACES['/var/log/syslog.1']);
    expect(await cat('/var/lib/systemd/random-seed')).toBe(UNIT_TRACES['/var/lib/systemd/random-seed']);
    // Removed secrets are not left readable in free blocks either.
    expect(readFileSync(file).includes('s3cret')).toBe(false);
    expect(readFileSync(stored(source)).includes('s3cret')).toBe(true);
    // And the file system is consistent (e2fsck has no ?offset=: it checks a copy of the partition).
    const part = join(work, `root-${database.name}.img`);
    execFileSync('dd', [`if=${file}`, `of=${part}`, 'bs=1M', `skip=${offset >> 20}`, 'status=none']);
    await run('e2fsck', ['-fn', part]);
  }, 180_000);

  it('lists and generalises from the command line', async () => {
    const env = { RPI_DEPLOY_URL: t.management, RPI_DEPLOY_PASSWORD: ADMIN_PASSWORD };
    const listed = await cli(['--user', 'admin', 'image', 'generalise', String(source.id)], env);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('/etc/machine-id');
    expect(listed.stdout).toContain('/var/log/syslog.1');
    const args = ['image', 'generalise', String(source.id), '--version', '5.0.0-cli', '--clear-all'];
    const made = await cli(['--user', 'admin', ...args], env);
    expect(made.stdout).toMatch(
      /^KXP2 5\.0\.0-cli \(image \d+\) stored: generalised from 5\.0\.0, 8 candidates cleared/,
    );
    expect(made.code).toBe(0);
    const copy = ((await call('GET', '/api/images?product=KXP2')).body as ImageDto[]).find(
      (image) => image.version === '5.0.0-cli',
    ) as ImageDto;
    const offset = reference.partitions.root.startBytes;
    for (const gone of ['/home/pi/.bash_history', '/var/log/syslog.1', '/var/lib/systemd/random-seed']) {
      expect(await rootOf(stored(copy), offset, `stat ${gone}`)).not.toMatch(/Inode:/);
    }
  }, 180_000);

  it('refuses bad input with 4xx and stores nothing', async () => {
    const count = async () => ((await call('GET', '/api/images')).body as ImageDto[]).length;
    const images = await count();
    const bad: [unknown, number][] = [
      [{ version: '5.0.0', clear: [] }, 409],
      [{ version: 'bad version!', clear: [] }, 400],
      [{ clear: [] }, 400],
      [{ version: '5.0.1' }, 400],
      [{ version: '5.0.1', clear: ['/etc/passwd'] }, 400],
      [{ version: '5.0.1', clear: [42] }, 400],
    ];
    for (const [body, status] of bad) {
      expect({ body, status: (await call('POST', `/api/images/${source.id}/generalise`, body)).status }).toEqual({
        body,
        status,
      });
    }
    expect((await call('POST', '/api/images/99999/generalise', { version: '5.0.1', clear: [] })).status).toBe(404);
    expect((await call('GET', '/api/images/99999/generalise')).status).toBe(404);
    const fat = await upload('5.0.2', fatOnly);
    const noRoot = await call('GET', `/api/images/${fat.id}/generalise`);
    expect(noRoot.status).toBe(422);
    expect(JSON.stringify(noRoot.body)).toMatch(/no ext4 root/);
    expect((await call('POST', `/api/images/${fat.id}/generalise`, { version: '5.0.3', clear: [] })).status).toBe(422);
    expect(await count()).toBe(images + 1);
  });
});
