import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AUDIT_REDACTED, type AuditEntryDto, type AuditPage } from '@rpi-deploy/contracts';
import { uploadImage } from '@rpi-deploy/test-kit';
import { DataSource } from 'typeorm';
import { AuditEntry } from '../src/audit/audit-entry.entity';
import { AuditService } from '../src/audit/audit.service';
import { buildMbrImage } from './support/mbr-image';
import { cli } from './support/run-cli';
import { testDatabases } from './support/test-databases';
import { ADMIN_PASSWORD, api, bootTestServer, login, type TestServer } from './support/test-server';

const OPERATOR_PASSWORD = 'correct-horse-battery-7';
const NEW_PASSWORD = 'correct-horse-battery-8';
const VIEWER_PASSWORD = 'correct-horse-battery-9';

/**
 * The audit log on a real server: each kind of change writes exactly one entry with the
 * target's state before and after, failed logins are recorded, refused changes are not,
 * admins alone read it (filtered, paged, as CSV), old entries are pruned, secrets never appear.
 */
describe.each(testDatabases())('audit log, on $name', (database) => {
  let t: TestServer;
  let adminToken: string;
  let viewerToken: string;
  const secretsSeen: string[] = [];

  const entries = async (query = ''): Promise<AuditPage> => {
    const response = await api(t.management, `/api/audit${query}`, { token: adminToken });
    expect(response.status).toBe(200);
    return response.body as AuditPage;
  };
  /** Runs `change` and returns the entries it wrote (newest first). */
  const written = async (change: () => Promise<unknown>): Promise<AuditEntryDto[]> => {
    const before = (await entries('?pageSize=1')).items[0]?.id ?? 0;
    await change();
    return (await entries('?pageSize=500')).items.filter((entry) => entry.id > before);
  };
  const call = async (method: string, path: string, body?: unknown, token = adminToken) =>
    api(t.management, path, { method, token, body });

  beforeAll(async () => {
    t = await bootTestServer({ DATABASE_URL: await database.create(), AUDIT_RETENTION_DAYS: '30' });
    const session = await login(t.management, 'admin', ADMIN_PASSWORD);
    adminToken = session.accessToken;
    secretsSeen.push(ADMIN_PASSWORD, adminToken);
    expect(
      (await call('POST', '/api/users', { username: 'vera', password: VIEWER_PASSWORD, role: 'viewer' })).status,
    ).toBe(201);
    viewerToken = (await login(t.management, 'vera', VIEWER_PASSWORD)).accessToken;
    secretsSeen.push(VIEWER_PASSWORD, viewerToken);
  });
  afterAll(async () => {
    await t?.close();
    await database.dropAll();
  });

  it('records a login, a failed login (with the name tried and the address) and a logout', async () => {
    const loggedIn = await written(async () => {
      secretsSeen.push((await login(t.management, 'vera', VIEWER_PASSWORD)).accessToken);
    });
    expect(loggedIn).toEqual([
      expect.objectContaining({
        action: 'auth.login',
        actor: 'vera',
        ip: '127.0.0.1',
        targetType: 'user',
        targetId: 'vera',
      }),
    ]);

    const failed = await written(async () => {
      const response = await api(t.management, '/api/auth/login', {
        method: 'POST',
        body: { username: 'vera', password: 'not-veras-password-0' },
      });
      expect(response.status).toBe(401);
    });
    expect(failed).toEqual([
      expect.objectContaining({ action: 'auth.login_failed', actor: 'vera', ip: '127.0.0.1', targetId: 'vera' }),
    ]);
    expect(failed[0].after).toEqual({ status: 401, reason: 'wrong credentials or disabled' });
    secretsSeen.push('not-veras-password-0');

    const session = await login(t.management, 'vera', VIEWER_PASSWORD);
    const loggedOut = await written(async () => {
      expect((await call('POST', '/api/auth/logout', undefined, session.accessToken)).status).toBe(204);
    });
    expect(loggedOut).toEqual([expect.objectContaining({ action: 'auth.logout', actor: 'vera', targetId: 'vera' })]);
    // Without a session there is nothing to log out of, and nothing is recorded.
    expect(
      await written(async () =>
        expect((await api(t.management, '/api/auth/logout', { method: 'POST' })).status).toBe(401),
      ),
    ).toEqual([]);
  });

  it('records user changes once each with before and after, passwords never', async () => {
    const created = await written(async () => {
      const response = await call('POST', '/api/users', {
        username: 'otto',
        password: OPERATOR_PASSWORD,
        role: 'viewer',
      });
      expect(response.status).toBe(201);
    });
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({
      action: 'user.create',
      actor: 'admin',
      targetType: 'user',
      targetId: 'otto',
      before: null,
    });
    expect(created[0].after).toMatchObject({ username: 'otto', role: 'viewer', disabled: false });
    secretsSeen.push(OPERATOR_PASSWORD);

    const promoted = await written(async () => {
      expect((await call('PATCH', '/api/users/otto', { role: 'operator' })).status).toBe(200);
    });
    expect(promoted).toHaveLength(1);
    expect(promoted[0]).toMatchObject({ action: 'user.update', targetId: 'otto' });
    expect(promoted[0].before).toMatchObject({ role: 'viewer' });
    expect(promoted[0].after).toMatchObject({ role: 'operator' });

    const passwordSet = await written(async () => {
      expect((await call('POST', '/api/users/otto/password', { password: NEW_PASSWORD })).status).toBe(200);
    });
    expect(passwordSet).toHaveLength(1);
    expect(passwordSet[0]).toMatchObject({ action: 'user.password_set', targetId: 'otto' });
    expect(passwordSet[0].after).toMatchObject({ username: 'otto', password: AUDIT_REDACTED });
    secretsSeen.push(NEW_PASSWORD);

    const otto = await login(t.management, 'otto', NEW_PASSWORD);
    secretsSeen.push(otto.accessToken);
    const ownChange = await written(async () => {
      const response = await call(
        'POST',
        '/api/auth/password',
        { currentPassword: NEW_PASSWORD, newPassword: OPERATOR_PASSWORD },
        otto.accessToken,
      );
      expect(response.status).toBe(200);
      secretsSeen.push(response.body.accessToken);
    });
    expect(ownChange.map((entry) => [entry.action, entry.actor, entry.targetId])).toEqual([
      ['auth.password_change', 'otto', 'otto'],
    ]);
  });

  it('records venue and batch changes with their state before and after; a delete leaves after empty', async () => {
    const created = await written(async () => {
      expect((await call('POST', '/api/venues', { code: 'AUDT', name: 'Audit Ring' })).status).toBe(201);
    });
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({ action: 'venue.create', targetType: 'venue', targetId: 'AUDT', before: null });
    expect(created[0].after).toMatchObject({ code: 'AUDT', name: 'Audit Ring', location: null });

    const renamed = await written(async () => {
      expect((await call('PATCH', '/api/venues/AUDT', { name: 'Audit Circuit', location: 'Hall 2' })).status).toBe(200);
    });
    expect(renamed).toHaveLength(1);
    expect(renamed[0].before).toMatchObject({ name: 'Audit Ring', location: null });
    expect(renamed[0].after).toMatchObject({ name: 'Audit Circuit', location: 'Hall 2' });

    const batch = await written(async () => {
      expect((await call('POST', '/api/batches', { venue: 'AUDT', product: 'RXP2', count: 2 })).status).toBe(201);
    });
    expect(batch).toHaveLength(1);
    expect(batch[0]).toMatchObject({ action: 'batch.create', targetType: 'batch', before: null });
    const batchId = batch[0].targetId!;
    expect(batch[0].after).toMatchObject({ id: Number(batchId), status: 'pending', count: 2 });

    const started = await written(async () => {
      expect((await call('POST', `/api/batches/${batchId}/start`)).status).toBe(200);
    });
    expect(started).toHaveLength(1);
    expect(started[0]).toMatchObject({ action: 'batch.start', targetId: batchId });
    expect(started[0].before).toMatchObject({ status: 'pending' });
    expect(started[0].after).toMatchObject({ status: 'active' });

    expect((await call('POST', `/api/batches/${batchId}/cancel`)).status).toBe(200);
    const deleted = await written(async () => {
      expect((await call('DELETE', '/api/venues/AUDT')).status).toBe(204);
    });
    expect(deleted).toHaveLength(1);
    expect(deleted[0]).toMatchObject({ action: 'venue.delete', targetId: 'AUDT', after: null });
    expect(deleted[0].before).toMatchObject({ code: 'AUDT', name: 'Audit Circuit' });
  });

  it('records an image upload, its activation and its deletion with the image as it was', async () => {
    const work = mkdtempSync(join(tmpdir(), 'audit-image-'));
    try {
      const image = buildMbrImage(work, 'audit.img', 64);
      let imageId = 0;
      const uploaded = await written(async () => {
        imageId = (
          await uploadImage(t.management, adminToken, { filePath: image.path, product: 'RXP2', version: '9.1' })
        ).id;
      });
      expect(uploaded).toHaveLength(1);
      expect(uploaded[0]).toMatchObject({ action: 'image.upload', targetType: 'image', targetId: String(imageId) });
      expect(uploaded[0].after).toMatchObject({ id: imageId, product: 'RXP2', version: '9.1', active: false });

      const activated = await written(async () => {
        expect((await call('POST', `/api/images/${imageId}/activate`)).status).toBe(200);
      });
      expect(activated).toHaveLength(1);
      expect(activated[0].before).toMatchObject({ active: false });
      expect(activated[0].after).toMatchObject({ active: true });

      // Deleting the active image is refused, and so not recorded; once another is active it goes.
      expect(
        await written(async () => expect((await call('DELETE', `/api/images/${imageId}`)).status).toBe(409)),
      ).toEqual([]);
      const second = await uploadImage(t.management, adminToken, {
        filePath: image.path,
        product: 'RXP2',
        version: '9.2',
        activate: true,
      });
      const deleted = await written(async () => {
        expect((await call('DELETE', `/api/images/${imageId}`)).status).toBe(204);
      });
      expect(deleted).toHaveLength(1);
      expect(deleted[0]).toMatchObject({ action: 'image.delete', targetId: String(imageId), after: null });
      expect(deleted[0].before).toMatchObject({ version: '9.1', active: false });
      expect(second.active).toBe(true);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('records nothing for a change that was refused, invalid, forbidden or found nothing', async () => {
    expect((await call('POST', '/api/venues', { code: 'REFU', name: 'Refused' })).status).toBe(201);
    const nothing = await written(async () => {
      // Taken code, bad body, viewer, unknown target, forbidden transition.
      expect((await call('POST', '/api/venues', { code: 'REFU', name: 'Again' })).status).toBe(409);
      expect((await call('POST', '/api/venues', { code: 'toolong', name: 'Bad' })).status).toBe(400);
      expect((await call('POST', '/api/venues', { code: 'VIEW', name: 'Viewer' }, viewerToken)).status).toBe(403);
      expect((await call('PATCH', '/api/venues/NONE', { name: 'Nobody' })).status).toBe(404);
      expect((await call('POST', '/api/images/999/activate')).status).toBe(404);
      const batch = await call('POST', '/api/batches', { venue: 'REFU', product: 'RXP2', count: 1 });
      expect((await call('POST', `/api/batches/${batch.body.id}/cancel`)).status).toBe(200);
      expect((await call('POST', `/api/batches/${batch.body.id}/start`)).status).toBe(409);
    });
    // Only the batch that was created and cancelled, none of the refusals.
    expect(nothing.map((entry) => entry.action).sort()).toEqual(['batch.cancel', 'batch.create']);
    expect((await call('GET', '/api/venues/VIEW')).status).toBe(404);
  });

  it('filters by actor, action, target and time, and pages newest first', async () => {
    const all = await entries('?pageSize=500');
    expect(all.total).toBe(all.items.length);
    const ids = all.items.map((entry) => entry.id);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));

    const byOtto = await entries('?actor=otto&pageSize=500');
    expect(byOtto.items.length).toBeGreaterThan(0);
    expect(byOtto.items.every((entry) => entry.actor === 'otto')).toBe(true);
    expect(byOtto.total).toBe(all.items.filter((entry) => entry.actor === 'otto').length);

    const venueDeletes = await entries('?action=venue.delete');
    expect(venueDeletes.items.map((entry) => entry.targetId)).toEqual(['AUDT']);

    const audtTargets = await entries('?target=aud&pageSize=500');
    expect(audtTargets.items.map((entry) => entry.action)).toEqual(['venue.delete', 'venue.update', 'venue.create']);
    expect((await entries('?target=%25&pageSize=500')).total).toBe(0);
    expect((await entries('?targetType=batch&pageSize=500')).items.every((e) => e.targetType === 'batch')).toBe(true);

    const pivot = all.items[Math.floor(all.items.length / 2)];
    const later = await entries(`?from=${encodeURIComponent(pivot.at)}&pageSize=500`);
    expect(later.items.every((entry) => entry.at >= pivot.at)).toBe(true);
    expect(later.items.map((entry) => entry.id)).toContain(pivot.id);
    const earlier = await entries(`?to=${encodeURIComponent(pivot.at)}&pageSize=500`);
    expect(earlier.items.every((entry) => entry.at < pivot.at)).toBe(true);
    expect(later.total + earlier.total).toBe(all.total);

    const page1 = await entries('?pageSize=3&page=1');
    const page2 = await entries('?pageSize=3&page=2');
    expect(page1).toMatchObject({ page: 1, pageSize: 3, total: all.total });
    expect(page1.items.map((entry) => entry.id)).toEqual(ids.slice(0, 3));
    expect(page2.items.map((entry) => entry.id)).toEqual(ids.slice(3, 6));

    for (const bad of ['?action=venue.explode', '?pageSize=0', '?from=yesterday', '?targetType=planet']) {
      const response = await api(t.management, `/api/audit${bad}`, { token: adminToken });
      expect(response.status).toBe(400);
    }
  });

  it('exports the filtered log as CSV', async () => {
    const response = await fetch(`${t.management}/api/audit.csv?target=AUDT`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(response.headers.get('content-disposition')).toBe('attachment; filename="audit.csv"');
    const lines = (await response.text()).split('\r\n');
    expect(lines[0]).toBe('id,at,actor,ip,action,target_type,target_id,before,after');
    expect(lines.at(-1)).toBe('');
    const rows = lines.slice(1, -1);
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatch(
      /^\d+,\d{4}-\d\d-\d\dT[^,]+,admin,127\.0\.0\.1,venue\.delete,venue,AUDT,"\{""code"":""AUDT""/,
    );
    expect(rows[0].endsWith(',')).toBe(true);
    expect(rows[2]).toMatch(/,venue\.create,venue,AUDT,,"\{""code"":""AUDT"",""name"":""Audit Ring""/);
  });

  it('is for admins only', async () => {
    for (const path of ['/api/audit', '/api/audit.csv']) {
      expect((await api(t.management, path, { token: viewerToken })).status).toBe(403);
      expect((await api(t.management, path)).status).toBe(401);
    }
  });

  it('never shows a password or a token', async () => {
    const csv = await (
      await fetch(`${t.management}/api/audit.csv`, { headers: { authorization: `Bearer ${adminToken}` } })
    ).text();
    const json = JSON.stringify(await entries('?pageSize=500'));
    expect(csv).toContain('user.password_set');
    for (const secret of secretsSeen) {
      expect(csv).not.toContain(secret);
      expect(json).not.toContain(secret);
    }
  });

  it('lists entries on the command line, filtered, as JSON or a table of what changed', async () => {
    const asAdmin = { RPI_DEPLOY_URL: t.management, RPI_DEPLOY_TOKEN: adminToken };
    const json = await cli(['--json', 'audit', 'list', '--action', 'venue.update', '--target', 'audt'], asAdmin);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual([
      expect.objectContaining({ action: 'venue.update', actor: 'admin', targetType: 'venue', targetId: 'AUDT' }),
    ]);
    const table = await cli(['audit', 'list', '--target-type', 'venue', '--target', 'AUDT'], asAdmin);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('name: "Audit Ring" → "Audit Circuit"');
    expect(table.stdout).toMatch(/venue\.delete .*│ venue AUDT .*│ removed/);
    expect(table.stdout).toMatch(/3 of 3\n$/);
    const paged = await cli(['--json', 'audit', 'list', '--actor', 'otto', '--page-size', '1'], asAdmin);
    expect(JSON.parse(paged.stdout)).toEqual([expect.objectContaining({ actor: 'otto' })]);

    const viewer = await cli(['audit', 'list'], { RPI_DEPLOY_URL: t.management, RPI_DEPLOY_TOKEN: viewerToken });
    expect(viewer.code).toBe(1);
    expect(viewer.stderr).toMatch(/HTTP 403/);
    const badAction = await cli(['audit', 'list', '--action', 'venue.explode'], asAdmin);
    expect(badAction.code).not.toBe(0);
    expect(badAction.stderr).toMatch(/venue\.explode/);
  });

  it('prunes entries older than AUDIT_RETENTION_DAYS', async () => {
    const dataSource = t.server.app.get(DataSource);
    const day = 86_400_000;
    const old = { actor: 'ghost', ip: '10.0.0.9', action: 'venue.update' as const, userId: null, targetType: null };
    await dataSource.getRepository(AuditEntry).insert([
      { ...old, at: new Date(Date.now() - 31 * day), targetId: 'GONE' },
      { ...old, at: new Date(Date.now() - 29 * day), targetId: 'KEPT' },
    ]);
    expect((await entries('?actor=ghost')).items.map((entry) => entry.targetId)).toEqual(['KEPT', 'GONE']);
    expect(await t.server.app.get(AuditService).prune()).toBe(1);
    expect((await entries('?actor=ghost')).items.map((entry) => entry.targetId)).toEqual(['KEPT']);
    // Nothing recent went with it.
    expect((await entries('?action=venue.create')).total).toBeGreaterThan(0);
  });
});
