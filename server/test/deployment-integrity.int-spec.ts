import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  ConfigResponse,
  DeploymentDetailDto,
  DeploymentDto,
  DeploymentEventDto,
  DeploymentEventPage,
  DeploymentStatus,
  HostnameDto,
} from '@rpi-deploy/contracts';
import { uploadMultipart } from '../src/cli/multipart-upload';
import { ADMIN_PASSWORD, api, bootTestServer, login, type TestServer } from './support/test-server';
import { testDatabases } from './support/test-databases';

const unit = (n: number) => ({
  serial: `30000000${n.toString(16).padStart(8, '0')}`,
  mac: `2c:cf:67:01:${(n >> 8).toString(16).padStart(2, '0')}:${(n & 255).toString(16).padStart(2, '0')}`,
});
/** Another device's MAC (its serial may be anyone's). */
const spoofMac = (n: number) =>
  `02:00:5e:00:${(n >> 8).toString(16).padStart(2, '0')}:${(n & 255).toString(16).padStart(2, '0')}`;

/** The path through the phases to each status (after /api/config left it `starting`). */
const PATH_TO: Record<DeploymentStatus, DeploymentStatus[]> = {
  starting: [],
  downloading: ['downloading'],
  verifying: ['downloading', 'verifying'],
  customizing: ['downloading', 'verifying', 'customizing'],
  success: ['downloading', 'verifying', 'customizing', 'success'],
  failed: ['downloading', 'failed'],
};
/** What may follow each status, written out here so the test does not trust the code it checks. */
const LEGAL: Record<DeploymentStatus, DeploymentStatus[]> = {
  starting: ['starting', 'downloading', 'failed'],
  downloading: ['downloading', 'verifying', 'failed'],
  verifying: ['verifying', 'customizing', 'failed'],
  customizing: ['customizing', 'success', 'failed'],
  success: [],
  failed: [],
};
const STATUSES = Object.keys(LEGAL) as DeploymentStatus[];

describe.each(testDatabases())('deployment integrity on $name', (database) => {
  let t: TestServer;
  let token: string;
  let work: string;
  let nextUnit = 1;

  const config = (body: object) => api(t.deployment, '/api/config', { method: 'POST', body });
  const start = async (device = unit(nextUnit++)) => {
    const response = await config({ ...device, product: 'KXP2', venue: 'CORO' });
    expect(response.status).toBe(200);
    return response.body as ConfigResponse;
  };
  const status = (deployment: ConfigResponse, body: object) =>
    api(t.deployment, '/api/status', {
      method: 'POST',
      body: { deploymentId: deployment.deploymentId, ...body },
      headers: { authorization: `Bearer ${deployment.statusToken}` },
    });
  const manage = (path: string, method = 'GET', body?: unknown) => api(t.management, path, { method, token, body });
  const detail = async (deployment: ConfigResponse) =>
    (await manage(`/api/deployments/${deployment.deploymentId}`)).body as DeploymentDetailDto;
  const allDeployments = async () =>
    ((await manage('/api/deployments?pageSize=500')).body as { items: DeploymentDto[] }).items;
  const hostname = async (name: string) =>
    ((await manage('/api/hostnames?venue=CORO')).body as HostnameDto[]).find((record) => record.hostname === name)!;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'deployment-integrity-test-'));
    t = await bootTestServer({ DATABASE_URL: await database.create() });
    token = (await login(t.management, 'admin', ADMIN_PASSWORD)).accessToken;
    await manage('/api/venues', 'POST', { code: 'CORO', name: 'Corona' });
    await manage('/api/venues/CORO/karts', 'POST', { from: 1, to: 200 });
    const file = join(work, 'tiny.img');
    writeFileSync(file, randomBytes(64 * 1024));
    const uploaded = await uploadMultipart({
      url: `${t.management}/api/images`,
      token,
      fields: { product: 'KXP2', version: '1.0.0' },
      filePath: file,
    });
    await manage(`/api/images/${(uploaded.body as { id: number }).id}/activate`, 'POST');
  });

  afterAll(async () => {
    await t?.close();
    await database.dropAll();
    rmSync(work, { recursive: true, force: true });
  });

  describe('another device asking for an open deployment', () => {
    it('is refused with 409, and the open deployment keeps running, flagged with what the requester sent', async () => {
      const victim = unit(nextUnit++);
      const running = await start(victim);
      expect((await status(running, { status: 'downloading', progress: 30, message: 'writing' })).status).toBe(200);
      const before = await detail(running);

      const spoof = await config({ serial: victim.serial, mac: spoofMac(1), product: 'KXP2', venue: 'CORO' });
      expect(spoof.status).toBe(409);
      expect(spoof.body.message).toMatch(
        new RegExp(
          `^Serial ${victim.serial} / MAC ${spoofMac(1)}: a deployment for this unit is running on a device with another MAC; refused`,
        ),
      );

      const after = await detail(running);
      expect(after).toMatchObject({
        status: 'downloading',
        hostname: running.hostname,
        progress: 30,
        message: 'writing',
        serial: victim.serial,
        mac: victim.mac,
        lastReportAt: before.lastReportAt,
        finishedAt: null,
        impersonation: { serial: victim.serial, mac: spoofMac(1), ip: '127.0.0.1', at: expect.any(String) },
      });
      expect(after.eventCount).toBe(before.eventCount + 1);
      expect(after.events.at(-1)).toMatchObject({
        kind: 'impersonation',
        status: 'downloading',
        message: `another device (serial ${victim.serial}, MAC ${spoofMac(1)}, IP 127.0.0.1) asked for this unit's configuration: refused`,
      });
      expect(before.events.every((event) => event.kind === 'status')).toBe(true);
      // Nothing was started or assigned for the requester.
      expect((await allDeployments()).filter((d) => d.mac === spoofMac(1))).toEqual([]);
      expect(await hostname(running.hostname)).toMatchObject({ deviceSerial: victim.serial, deviceMac: victim.mac });

      // The unit itself goes on as if nothing happened.
      expect((await status(running, { status: 'verifying', progress: 90 })).status).toBe(200);
      expect((await detail(running)).status).toBe('verifying');
    });

    it('is refused with its MAC under another serial too', async () => {
      const victim = unit(nextUnit++);
      const running = await start(victim);
      const spoof = await config({
        serial: 'abcdef0123456789',
        mac: victim.mac.toUpperCase(),
        product: 'KXP2',
        venue: 'CORO',
      });
      expect(spoof.status).toBe(409);
      expect(spoof.body.message).toContain('a device with another serial');
      expect(await detail(running)).toMatchObject({
        status: 'starting',
        hostname: running.hostname,
        impersonation: { serial: 'abcdef0123456789', mac: victim.mac, ip: '127.0.0.1' },
      });
      expect((await allDeployments()).filter((d) => d.serial === 'abcdef0123456789')).toEqual([]);
    });

    it('lets the unit itself restart (same serial and MAC): the old deployment ends, the new one is clean', async () => {
      const device = unit(nextUnit++);
      const first = await start(device);
      expect((await config({ serial: device.serial, mac: spoofMac(2), product: 'KXP2', venue: 'CORO' })).status).toBe(
        409,
      );
      const second = await start({ serial: device.serial.toUpperCase(), mac: device.mac.toUpperCase() });
      expect(second.hostname).toBe(first.hostname);
      expect(await detail(first)).toMatchObject({ status: 'failed', message: 'restarted' });
      expect(await detail(second)).toMatchObject({
        status: 'starting',
        serial: device.serial,
        mac: device.mac,
        impersonation: null,
      });
    });

    it('stores what the requester sent once nothing is open: its serial, MAC and IP, not the hostname holder’s', async () => {
      const holder = unit(nextUnit++);
      const ended = await start(holder);
      await status(ended, { status: 'failed', error: 'card pulled out' });

      // Its serial with a new MAC (a board whose network identity changed): same hostname, the MAC sent is kept.
      const sameSerial = await start({ serial: holder.serial, mac: spoofMac(3) });
      expect(sameSerial.hostname).toBe(ended.hostname);
      expect(await detail(sameSerial)).toMatchObject({ serial: holder.serial, mac: spoofMac(3), ip: '127.0.0.1' });
      await status(sameSerial, { status: 'failed', error: 'done testing' });

      // Its MAC with another serial: the serial sent is kept.
      const sameMac = await start({ serial: 'fedcba9876543210', mac: holder.mac });
      expect(sameMac.hostname).toBe(ended.hostname);
      expect(await detail(sameMac)).toMatchObject({ serial: 'fedcba9876543210', mac: holder.mac });
      await status(sameMac, { status: 'failed', error: 'done testing' });
    });

    it('keeps the real unit whole when it and an impersonator ask at the same moment', async () => {
      for (let round = 0; round < 5; round += 1) {
        const device = unit(nextUnit++);
        const first = await start(device);
        const [real, spoof, report] = await Promise.all([
          config({ ...device, product: 'KXP2', venue: 'CORO' }),
          config({ serial: device.serial, mac: spoofMac(100 + round), product: 'KXP2', venue: 'CORO' }),
          status(first, { status: 'downloading', progress: 5 }),
        ]);
        expect(real.status).toBe(200);
        expect(spoof.status).toBe(409);
        expect([200, 409]).toContain(report.status);
        const mine = (await allDeployments()).filter((d) => d.serial === device.serial);
        expect(mine.filter((d) => d.finishedAt === null)).toEqual([
          expect.objectContaining({ id: real.body.deploymentId, mac: device.mac, hostname: first.hostname }),
        ]);
        expect(mine.some((d) => d.mac === spoofMac(100 + round))).toBe(false);
        // The flag is on whichever deployment was open when the impersonator asked.
        expect(mine.filter((d) => d.impersonation?.mac === spoofMac(100 + round))).toHaveLength(1);
      }
    });
  });

  describe('status transitions', () => {
    const reach = async (target: DeploymentStatus) => {
      const deployment = await start();
      for (const phase of PATH_TO[target]) expect((await status(deployment, { status: phase })).status).toBe(200);
      return deployment;
    };

    for (const current of STATUSES) {
      for (const next of STATUSES) {
        const legal = LEGAL[current].includes(next);
        it(`${legal ? 'accepts' : 'refuses'} ${current} → ${next}`, async () => {
          const deployment = await reach(current);
          const before = await detail(deployment);
          const response = await status(deployment, { status: next, progress: 50 });
          if (legal) {
            expect(response.status).toBe(200);
            expect((await detail(deployment)).status).toBe(next);
            return;
          }
          expect(response.status).toBe(409);
          expect(response.body.message).toBe(
            LEGAL[current].length === 0
              ? `Deployment ${deployment.deploymentId} has ended (${current}): a new /api/config starts a new one`
              : `Cannot go from ${current} to ${next}: from ${current} a unit may report ${LEGAL[current].join(', ')} (phases come in order, none skipped)`,
          );
          const after = await detail(deployment);
          expect(after).toEqual(before);
        });
      }
    }
  });

  describe('a unit that floods its reports', () => {
    const REPORTS = 450;
    let flooded: ConfigResponse;

    beforeAll(async () => {
      flooded = await start();
      for (let sent = 0; sent < REPORTS; sent += 50) {
        const answers = await Promise.all(
          Array.from({ length: 50 }, (_, i) => status(flooded, { status: 'downloading', progress: (sent + i) / 5 })),
        );
        expect(answers.every((answer) => answer.status === 200)).toBe(true);
      }
    });

    it('gets only its latest events in the detail, with the count of all', async () => {
      const view = await detail(flooded);
      expect(view.eventCount).toBe(REPORTS + 1);
      expect(view.events).toHaveLength(200);
      const ids = view.events.map((event) => event.id);
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
      const page = (await manage(`/api/deployments/${flooded.deploymentId}/events?limit=1`))
        .body as DeploymentEventPage;
      expect(page.items[0]).toEqual(view.events.at(-1));
    });

    it('pages back through every older event, bounded', async () => {
      const view = await detail(flooded);
      const seen: DeploymentEventDto[] = [...view.events];
      let before = view.events[0].id;
      let pages = 0;
      for (;;) {
        const response = await manage(`/api/deployments/${flooded.deploymentId}/events?before=${before}&limit=100`);
        expect(response.status).toBe(200);
        const page = response.body as DeploymentEventPage;
        expect(page.items.length).toBeLessThanOrEqual(100);
        expect(page.items.every((event) => event.id < before)).toBe(true);
        seen.unshift(...page.items);
        pages += 1;
        if (!page.hasOlder) break;
        before = page.items[0].id;
      }
      expect(pages).toBe(3); // 251 older events: 100 + 100 + 51
      expect(seen).toHaveLength(REPORTS + 1);
      expect(new Set(seen.map((event) => event.id)).size).toBe(REPORTS + 1);
      expect(seen[0]).toMatchObject({ status: 'starting', kind: 'status' });
      const byDefault = (await manage(`/api/deployments/${flooded.deploymentId}/events`)).body as DeploymentEventPage;
      expect(byDefault).toMatchObject({ hasOlder: true });
      expect(byDefault.items).toHaveLength(100);
      const most = (await manage(`/api/deployments/${flooded.deploymentId}/events?limit=500`)).body;
      expect(most).toMatchObject({ hasOlder: false });
      expect(most.items).toHaveLength(REPORTS + 1);
    });

    it.each([
      ['limit=0', /limit must be a whole number 1-500/],
      ['limit=501', /limit must be a whole number 1-500/],
      ['limit=ten', /limit must be a whole number 1-500/],
      ['limit=2.5', /limit must be a whole number 1-500/],
      ['before=0', /before must be an event id/],
      ['before=-4', /before must be an event id/],
      ['before=abc', /before must be an event id/],
      ['before=', /before must be an event id/],
    ])('refuses ?%s with 400', async (query, message) => {
      const response = await manage(`/api/deployments/${flooded.deploymentId}/events?${query}`);
      expect(response.status).toBe(400);
      expect(JSON.stringify(response.body.message)).toMatch(message);
    });

    it('answers 404 for an unknown deployment and 400 for a malformed id', async () => {
      expect((await manage('/api/deployments/6b1f3a0e-0000-4000-8000-000000000000/events')).status).toBe(404);
      expect((await manage('/api/deployments/nope/events')).status).toBe(400);
    });
  });
});
