import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { list as listTar } from 'tar';
import type { ConfigResponse, DeploymentDto, ImageDto } from '@rpi-deploy/contracts';
import { uploadMultipart } from '../src/cli/multipart-upload';
import { cliProcess } from './support/run-cli';
import { ADMIN_PASSWORD, api, bootTestServer, login, type TestServer } from './support/test-server';
import { testDatabases } from './support/test-databases';

const STRONG_PASSWORD = 'correct-horse-battery-7';

const unit = (n: number) => ({
  serial: `30000000${n.toString(16).padStart(8, '0')}`,
  mac: `2c:cf:67:01:00:${n.toString(16).padStart(2, '0')}`,
});

async function archiveEntries(file: string): Promise<string[]> {
  const entries: string[] = [];
  await listTar({ file, onReadEntry: (entry) => entries.push(entry.path) });
  return entries;
}

// Each command runs as its own process (transpiled from the sources on start): give them time.
jest.setTimeout(300_000);

describe.each(testDatabases())('rpi-deploy backup and restore on $name', (database) => {
  let source: TestServer;
  let restored: TestServer | undefined;
  let sourceUrl: string | undefined;
  let token: string;
  let work: string;
  const images: Array<{ dto: ImageDto; bytes: Buffer }> = [];
  let inFlight: ConfigResponse;

  const manage = (server: TestServer, path: string, method = 'GET', body?: unknown) =>
    api(server.management, path, { method, token, body });
  const config = (body: object) =>
    api(source.deployment, '/api/config', { method: 'POST', body }).then((r) => r.body as ConfigResponse);
  const report = (deployment: ConfigResponse, body: object) =>
    api(source.deployment, '/api/status', {
      method: 'POST',
      body: { deploymentId: deployment.deploymentId, ...body },
      headers: { authorization: `Bearer ${deployment.statusToken}` },
    });
  /** The API answers that a restore must reproduce. */
  const answers = async (server: TestServer) => ({
    venues: (await manage(server, '/api/venues')).body,
    hostnames: (await manage(server, '/api/hostnames')).body,
    images: (await manage(server, '/api/images')).body,
    users: (await manage(server, '/api/users')).body.map((u: { lastLoginAt: unknown }) => ({ ...u, lastLoginAt: 0 })),
    history: ((await manage(server, '/api/deployments?pageSize=100')).body.items as DeploymentDto[]).filter(
      (d) => d.id !== inFlight.deploymentId,
    ),
  });

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'backup-test-'));
    sourceUrl = await database.create();
    source = await bootTestServer({ DATABASE_URL: sourceUrl, JWT_SECRET: undefined });
    token = (await login(source.management, 'admin', ADMIN_PASSWORD)).accessToken;
    await manage(source, '/api/users', 'POST', { username: 'viewer1', password: STRONG_PASSWORD, role: 'viewer' });
    await manage(source, '/api/venues', 'POST', { code: 'CORO', name: 'Corona', location: 'Kerpen' });
    await manage(source, '/api/venues', 'POST', { code: 'EMPT', name: 'Empty' });
    await manage(source, '/api/venues/CORO/karts', 'POST', { from: 1, to: 20 });
    for (const version of ['1.0.0', '1.1.0']) {
      const file = join(work, `${version}.img`);
      const bytes = randomBytes(3 * 1024 * 1024);
      writeFileSync(file, bytes);
      const uploaded = await uploadMultipart({
        url: `${source.management}/api/images`,
        token,
        fields: { product: 'KXP2', version },
        filePath: file,
      });
      expect(uploaded.status).toBe(201);
      const dto = (await manage(source, `/api/images/${(uploaded.body as ImageDto).id}/activate`, 'POST')).body;
      images.push({ dto, bytes });
    }
    // History: a success, a failure, a released and a retired hostname, one deployment in flight.
    const done = await config({ ...unit(1), product: 'KXP2', venue: 'CORO' });
    await report(done, { status: 'downloading', progress: 50, bytesDone: 50, bytesTotal: 100 });
    await report(done, { status: 'verifying', progress: 90 });
    await report(done, { status: 'customizing', progress: 95 });
    await report(done, { status: 'success', message: 'ready' });
    const failed = await config({ ...unit(2), product: 'KXP2', venue: 'CORO' });
    await report(failed, { status: 'failed', error: 'card write error' });
    const released = await config({ ...unit(3), product: 'KXP2', venue: 'CORO' });
    const retired = await config({ ...unit(4), product: 'KXP2', venue: 'CORO' });
    expect((await manage(source, `/api/hostnames/${released.hostname}/release`, 'POST')).status).toBe(200);
    expect((await manage(source, `/api/hostnames/${retired.hostname}/retire`, 'POST')).status).toBe(200);
    inFlight = await config({ ...unit(5), product: 'KXP2', venue: 'CORO' });
  });

  afterAll(async () => {
    await restored?.close();
    await source?.close();
    await database.dropAll();
    rmSync(work, { recursive: true, force: true });
  });

  it('backs up while status reports arrive and restores the same venues, hostnames, history, images and users', async () => {
    const archive = join(work, 'with-images.tar');
    let writing = true;
    let sent = 0;
    const writer = (async () => {
      while (writing) {
        const answer = await report(inFlight, { status: 'downloading', progress: (sent % 98) + 1 });
        expect(answer.status).toBe(200);
        sent++;
      }
    })();
    const backup = await cliProcess(['backup', '--out', archive, '--with-images'], {
      DATA_DIR: source.dataDir,
      DATABASE_URL: sourceUrl,
    });
    const sentDuringBackup = sent;
    writing = false;
    await writer;
    expect(backup).toMatchObject({ code: 0, stdout: '' });
    expect(backup.stderr).toMatch(/^Database: /);
    expect(backup.stderr).toMatch(/Image files: 4 \(/);
    expect(backup.stderr).toContain(`Backup written: ${archive}`);
    expect(sentDuringBackup).toBeGreaterThan(0);

    const entries = await archiveEntries(archive);
    expect(entries).toEqual(
      expect.arrayContaining([
        'manifest.json',
        database.name === 'sqlite' ? 'database/rpi-deploy.sqlite' : 'database/postgres.dump',
        // On PostgreSQL the JWT secret is in the database (shared by all instances), so in the dump.
        ...(database.name === 'sqlite' ? ['data/secrets/jwt-secret'] : []),
        `data/images/${images[0]!.dto.filename}`,
        `data/images/${images[1]!.dto.filename}.bmap`,
      ]),
    );
    expect(entries.some((entry) => /^data\/chunks\/[0-9a-f]{2}\/[0-9a-f]{64}\.zst$/.test(entry))).toBe(true);

    const before = await answers(source);
    const freshDir = join(work, 'restored-data');
    const freshUrl = await database.create();
    const restore = await cliProcess(['restore', archive], { DATA_DIR: freshDir, DATABASE_URL: freshUrl });
    expect(restore).toMatchObject({ code: 0, stdout: '' });
    expect(restore.stderr).toContain(`Restored into ${freshDir}`);

    restored = await bootTestServer({ DATABASE_URL: freshUrl, JWT_SECRET: undefined }, freshDir);
    // The JWT secret came along: a session of the old server is valid on the restored one.
    expect(await answers(restored)).toEqual(before);
    expect(before.hostnames.map((h: { status: string }) => h.status)).toEqual(
      expect.arrayContaining(['assigned', 'available', 'retired']),
    );
    expect(before.history.map((d: DeploymentDto) => d.status).sort()).toEqual([
      'failed',
      'starting',
      'starting',
      'success',
    ]);
    expect(before.images.filter((i: ImageDto) => i.active).map((i: ImageDto) => i.version)).toEqual(['1.1.0']);
    // The deployment being written to is whole: its row and its events come from one moment.
    const moving = (await manage(restored, `/api/deployments/${inFlight.deploymentId}`)).body;
    expect(moving.events.length).toBeGreaterThanOrEqual(1);
    expect(moving.progress).toBe(moving.events.at(-1).progress ?? 0);

    expect((await login(restored.management, 'viewer1', STRONG_PASSWORD)).user).toEqual({
      username: 'viewer1',
      role: 'viewer',
    });
    for (const { dto, bytes } of images) {
      const download = await fetch(`${restored.deployment}/images/${dto.filename}`);
      expect(download.status).toBe(200);
      expect(Buffer.from(await download.arrayBuffer()).equals(bytes)).toBe(true);
    }
    // Rollback works on the restored catalogue: the activation history came along.
    const rolledBack = await manage(restored, '/api/images/rollback', 'POST', { product: 'KXP2' });
    expect(rolledBack.body).toMatchObject({ version: '1.0.0', active: true });
    await restored.close({ keepData: true });
    restored = undefined;
  });

  it('leaves the images out without --with-images and refuses what would do harm', async () => {
    const archive = join(work, 'no-images.tar');
    const local = { DATA_DIR: source.dataDir, DATABASE_URL: sourceUrl };
    const backup = await cliProcess(['--json', 'backup', '--out', archive], local);
    expect(backup.code).toBe(0);
    expect(JSON.parse(backup.stdout)).toMatchObject({
      format: 'rpi-deploy-backup/1',
      database: database.name,
      contents: { images: false, imageFiles: 0, secrets: database.name === 'sqlite' ? ['secrets/jwt-secret'] : [] },
    });
    expect((await archiveEntries(archive)).some((entry) => entry.startsWith('data/images'))).toBe(false);

    const again = await cliProcess(['backup', '--out', archive], local);
    expect(again).toMatchObject({
      code: 1,
      stderr: `rpi-deploy: ${archive} exists already: give another --out or delete it first\n`,
    });

    // Into the folder of the running server.
    const running = await cliProcess(['restore', archive, '--force'], {
      ...local,
      DATABASE_URL: await database.create(),
    });
    expect(running.code).toBe(1);
    expect(running.stderr).toMatch(
      new RegExp(
        `A running process \\(pid ${process.pid}\\) has files in ${source.dataDir} open: stop the server first`,
      ),
    );

    // Into a stopped but used folder (the one restored above).
    const used = join(work, 'restored-data');
    const freshUrl = await database.create();
    const notEmpty = await cliProcess(['restore', archive], { DATA_DIR: used, DATABASE_URL: freshUrl });
    expect(notEmpty.code).toBe(1);
    expect(notEmpty.stderr).toMatch(
      /restored-data is not empty \(.*\): restore into a new, empty data folder .* or give --force/,
    );

    const notABackup = join(work, 'not-a-backup.tar');
    writeFileSync(notABackup, 'hello');
    expect((await cliProcess(['restore', notABackup], { DATA_DIR: join(work, 'x') })).stderr).toMatch(
      /not-a-backup.tar is not a readable backup archive/,
    );

    if (database.name === 'sqlite') {
      const mismatch = await cliProcess(['restore', archive], {
        DATA_DIR: join(work, 'x'),
        DATABASE_URL: 'postgres://h/db',
      });
      expect(mismatch.stderr).toMatch(/This backup holds a SQLite database but DATABASE_URL is set: unset it/);
      // --force replaces the database and secrets of a stopped folder; its images stay.
      // The settings may come from the service's environment file, as on the server.
      const envFile = join(work, 'rpi-deploy.env');
      writeFileSync(envFile, `# as /etc/rpi-deploy/rpi-deploy.env\nDATA_DIR=${used}\n`);
      const forced = await cliProcess(['restore', archive, '--force', '--env-file', envFile]);
      expect(forced.code).toBe(0);
      expect(existsSync(join(used, 'images', images[0]!.dto.filename))).toBe(true);
    } else {
      const mismatch = await cliProcess(['restore', archive], { DATA_DIR: join(work, 'x') });
      expect(mismatch.stderr).toMatch(/This backup holds a PostgreSQL database: set DATABASE_URL/);
      const busy = await cliProcess(['restore', archive], { DATA_DIR: join(work, 'y'), DATABASE_URL: sourceUrl });
      expect(busy.stderr).toMatch(/The database .* is not empty: create an empty one/);
      const filled = await cliProcess(['restore', archive, '--force'], { DATA_DIR: used, DATABASE_URL: freshUrl });
      expect(filled.code).toBe(0);
      const twice = await cliProcess(['restore', archive, '--force'], { DATA_DIR: used, DATABASE_URL: freshUrl });
      expect(twice.stderr).toMatch(/is not empty: create an empty one \(createdb NAME\) and point DATABASE_URL at it/);

      const noTool = await cliProcess(
        ['backup', '--out', join(work, 'x.tar'), '--pg-bin', join(work, 'nowhere')],
        local,
      );
      expect(noTool.stderr).toMatch(/pg_dump is not installed in .*nowhere: install PostgreSQL's client tools/);
      const oldBin = join(work, 'old-bin');
      rmSync(oldBin, { recursive: true, force: true });
      mkdirSync(oldBin);
      writeFileSync(join(oldBin, 'pg_dump'), '#!/bin/sh\necho "pg_dump (PostgreSQL) 9.6.24"\n');
      chmodSync(join(oldBin, 'pg_dump'), 0o755);
      const old = await cliProcess(['backup', '--out', join(work, 'x.tar'), '--pg-bin', oldBin], local);
      expect(old.stderr).toMatch(
        /pg_dump 9 cannot dump a PostgreSQL \d+ server: install the client tools of version \d+ or newer/,
      );
      expect(existsSync(join(work, 'x.tar'))).toBe(false);
    }
    expect(readFileSync(archive).length).toBeGreaterThan(0);
  });
});
