import { DataSource } from 'typeorm';
import { ADMIN_PASSWORD, api, bootTestServer, login, type TestServer } from './support/test-server';
import { testDatabases } from './support/test-databases';

describe.each(testDatabases())('server on $name', (database) => {
  let t: TestServer;
  let adminToken: string;
  let viewerToken: string;
  let operatorToken: string;

  beforeAll(async () => {
    t = await bootTestServer({ DATABASE_URL: await database.create(), LOGIN_ATTEMPTS_PER_MINUTE: '5' });
    adminToken = (await login(t.management, 'admin', ADMIN_PASSWORD)).accessToken;
    for (const [username, role] of [
      ['vera', 'viewer'],
      ['otto', 'operator'],
    ]) {
      const created = await api(t.management, '/api/users', {
        method: 'POST',
        token: adminToken,
        body: { username, password: `${username}-password-1`, role },
      });
      expect(created.status).toBe(201);
    }
    viewerToken = (await login(t.management, 'vera', 'vera-password-1')).accessToken;
    operatorToken = (await login(t.management, 'otto', 'otto-password-1')).accessToken;
  });

  afterAll(async () => {
    await t?.close();
    await database.dropAll();
  });

  describe('the two listeners', () => {
    it('answers /health on the deployment port', async () => {
      const { status, body } = await api(t.deployment, '/health');
      expect(status).toBe(200);
      expect(body).toMatchObject({ status: 'ok', listener: 'deployment' });
    });

    it.each([
      ['GET', '/api/users'],
      ['GET', '/api/health'],
      ['POST', '/api/auth/login'],
      ['GET', '/api/docs'],
      ['GET', '/api/docs/openapi.json'],
      ['GET', '/'],
      ['GET', '/dashboard'],
    ])('answers %s %s with 404 on the deployment port, token or not', async (method, path) => {
      const anonymous = await api(t.deployment, path, { method, body: method === 'POST' ? {} : undefined });
      const withToken = await api(t.deployment, path, { method, token: adminToken });
      expect([anonymous.status, withToken.status]).toEqual([404, 404]);
      expect(anonymous.body).toMatchObject({ statusCode: 404 });
    });

    it('does not answer installer routes on the management port', async () => {
      const { status } = await api(t.management, '/health', { token: adminToken });
      expect(status).toBe(404);
    });

    it('answers /api/health on the management port without a login', async () => {
      const { status, body } = await api(t.management, '/api/health');
      expect(status).toBe(200);
      expect(body.listener).toBe('management');
    });
  });

  describe('logins', () => {
    it('logs in with the right password', async () => {
      const { status, body } = await api(t.management, '/api/auth/login', {
        method: 'POST',
        body: { username: 'admin', password: ADMIN_PASSWORD },
      });
      expect(status).toBe(200);
      expect(body.user).toEqual({ username: 'admin', role: 'admin' });
      expect(body.accessToken.split('.')).toHaveLength(3);
      const me = await api(t.management, '/api/auth/me', { token: body.accessToken });
      expect(me.body).toEqual({ username: 'admin', role: 'admin' });
    });

    it('answers a wrong password and an unknown user with 401', async () => {
      for (const body of [
        { username: 'admin', password: 'wrong-password' },
        { username: 'nobody', password: ADMIN_PASSWORD },
      ]) {
        const response = await api(t.management, '/api/auth/login', { method: 'POST', body });
        expect(response.status).toBe(401);
        expect(response.body.message).toMatch(/Wrong user name or password/);
        expect(response.body.accessToken).toBeUndefined();
      }
    });

    it('answers a malformed login with 400 and says what is wrong', async () => {
      const missing = await api(t.management, '/api/auth/login', { method: 'POST', body: { username: 'admin' } });
      expect(missing.status).toBe(400);
      expect(missing.body.message).toEqual(expect.arrayContaining([expect.stringMatching(/password/)]));
      const extra = await api(t.management, '/api/auth/login', {
        method: 'POST',
        body: { username: 'admin', password: 'x', role: 'admin' },
      });
      expect(extra.status).toBe(400);
      expect(extra.body.message).toEqual(['property role should not exist']);
    });

    it('answers 401 without a token and with a bad one', async () => {
      expect((await api(t.management, '/api/users')).status).toBe(401);
      expect((await api(t.management, '/api/users', { token: 'not.a.token' })).status).toBe(401);
      const tampered = adminToken.slice(0, -3) + 'xyz';
      expect((await api(t.management, '/api/users', { token: tampered })).status).toBe(401);
      expect((await api(t.management, '/api/users', { headers: { authorization: adminToken } })).status).toBe(401);
    });

    it('answers 403 when the role is too small', async () => {
      const viewer = await api(t.management, '/api/users', { token: viewerToken });
      expect(viewer.status).toBe(403);
      expect(viewer.body.message).toBe('This needs the admin role; you are viewer');
      expect((await api(t.management, '/api/users', { token: operatorToken })).status).toBe(403);
      expect((await api(t.management, '/api/users', { token: adminToken })).status).toBe(200);
      expect((await api(t.management, '/api/auth/me', { token: viewerToken })).body.role).toBe('viewer');
    });

    it('rate-limits failed login attempts per user name and address', async () => {
      const attempt = (username: string) =>
        api(t.management, '/api/auth/login', { method: 'POST', body: { username, password: 'guess-guess' } });
      const statuses: number[] = [];
      for (let i = 0; i < 6; i += 1) statuses.push((await attempt('target')).status);
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
      expect((await attempt('target')).body.message).toMatch(
        /^Too many failed logins for this user from your address: try again in \d+ s$/,
      );
      // Another account from the same address is not locked out.
      expect((await attempt('someone-else')).status).toBe(401);
      // Successful logins do not count: scripts may log in as often as they like.
      for (let i = 0; i < 8; i += 1) await login(t.management, 'vera', 'vera-password-1');
    });
  });

  describe('user administration', () => {
    it('lists users without their password hashes', async () => {
      const { status, body } = await api(t.management, '/api/users', { token: adminToken });
      expect(status).toBe(200);
      expect(body.map((u: { username: string }) => u.username)).toEqual(['admin', 'otto', 'vera']);
      expect(body[0]).toEqual({
        username: 'admin',
        role: 'admin',
        disabled: false,
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        lastLoginAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      });
      expect(JSON.stringify(body)).not.toMatch(/argon2|password/i);
      // Stored and read back as UTC on both databases, whatever the local time zone.
      for (const time of [body[0].createdAt, body[0].lastLoginAt]) {
        expect(Math.abs(Date.parse(time) - Date.now())).toBeLessThan(120_000);
      }
    });

    it('refuses bad new users with 400 and a taken name with 409, changing nothing', async () => {
      const bad = [
        { username: 'Has Space', password: 'long-enough-pw', role: 'viewer' },
        { username: 'shorty', password: 'short', role: 'viewer' },
        { username: 'rolex', password: 'long-enough-pw', role: 'superuser' },
      ];
      for (const body of bad) {
        expect((await api(t.management, '/api/users', { method: 'POST', token: adminToken, body })).status).toBe(400);
      }
      const taken = await api(t.management, '/api/users', {
        method: 'POST',
        token: adminToken,
        body: { username: 'vera', password: 'long-enough-pw', role: 'admin' },
      });
      expect(taken.status).toBe(409);
      const list = await api(t.management, '/api/users', { token: adminToken });
      expect(list.body).toHaveLength(3);
      expect(list.body.find((u: { username: string }) => u.username === 'vera').role).toBe('viewer');
    });

    it('disables a user: the token stops working and so does the login', async () => {
      await api(t.management, '/api/users', {
        method: 'POST',
        token: adminToken,
        body: { username: 'temp', password: 'temp-password-1', role: 'operator' },
      });
      const token = (await login(t.management, 'temp', 'temp-password-1')).accessToken;
      const disabled = await api(t.management, '/api/users/temp', {
        method: 'PATCH',
        token: adminToken,
        body: { disabled: true },
      });
      expect(disabled.body).toMatchObject({ username: 'temp', disabled: true });
      expect((await api(t.management, '/api/auth/me', { token })).status).toBe(401);
      const relogin = await api(t.management, '/api/auth/login', {
        method: 'POST',
        body: { username: 'temp', password: 'temp-password-1' },
      });
      expect(relogin.status).toBe(401);
    });

    it('changes a password: old sessions end, the new password works', async () => {
      const before = (await login(t.management, 'otto', 'otto-password-1')).accessToken;
      const changed = await api(t.management, '/api/users/otto/password', {
        method: 'POST',
        token: adminToken,
        body: { password: 'otto-password-2' },
      });
      expect(changed.status).toBe(200);
      expect((await api(t.management, '/api/auth/me', { token: before })).status).toBe(401);
      await expect(login(t.management, 'otto', 'otto-password-1')).rejects.toThrow(/401/);
      operatorToken = (await login(t.management, 'otto', 'otto-password-2')).accessToken;
    });

    it('lets a user change their own password with the current one', async () => {
      const wrong = await api(t.management, '/api/auth/password', {
        method: 'POST',
        token: viewerToken,
        body: { currentPassword: 'not-it', newPassword: 'vera-password-2' },
      });
      expect(wrong.status).toBe(400);
      const right = await api(t.management, '/api/auth/password', {
        method: 'POST',
        token: viewerToken,
        body: { currentPassword: 'vera-password-1', newPassword: 'vera-password-2' },
      });
      expect(right.status).toBe(200);
      viewerToken = right.body.accessToken;
      expect((await api(t.management, '/api/auth/me', { token: viewerToken })).status).toBe(200);
    });

    it('never leaves the server without an enabled admin', async () => {
      for (const body of [{ disabled: true }, { role: 'operator' }]) {
        const response = await api(t.management, '/api/users/admin', { method: 'PATCH', token: adminToken, body });
        expect(response.status).toBe(409);
        expect(response.body.message).toMatch(/last enabled admin/);
      }
      expect((await api(t.management, '/api/auth/me', { token: adminToken })).body.role).toBe('admin');
    });

    it('answers an unknown user with 404 and an empty change with 400', async () => {
      expect(
        (await api(t.management, '/api/users/ghost', { method: 'PATCH', token: adminToken, body: { disabled: true } }))
          .status,
      ).toBe(404);
      expect(
        (await api(t.management, '/api/users/vera', { method: 'PATCH', token: adminToken, body: {} })).status,
      ).toBe(400);
    });

    it('hands out distinct names under concurrency: 20 parallel creations of one name give one 201', async () => {
      const results = await Promise.all(
        Array.from({ length: 20 }, () =>
          api(t.management, '/api/users', {
            method: 'POST',
            token: adminToken,
            body: { username: 'racer', password: 'racer-password', role: 'viewer' },
          }),
        ),
      );
      const statuses = results.map((r) => r.status).sort();
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    });
  });

  describe('dashboard and API docs', () => {
    it('serves the SPA at / and at deep links, but not for unknown API routes', async () => {
      const root = await fetch(`${t.management}/`, { headers: { accept: 'text/html' } });
      const rootHtml = await root.text();
      expect(root.status).toBe(200);
      expect(root.headers.get('content-type')).toMatch(/text\/html/);
      expect(rootHtml).toMatch(/<app-root/);
      for (const deepLink of ['/dashboard', '/venues/CORO', '/deployments/42?tab=events']) {
        const response = await fetch(`${t.management}${deepLink}`, { headers: { accept: 'text/html' } });
        expect(response.status).toBe(200);
        expect(await response.text()).toBe(rootHtml);
      }
      const unknownApi = await api(t.management, '/api/nothing-here', { token: adminToken });
      expect(unknownApi.status).toBe(404);
      expect(unknownApi.body).toMatchObject({ statusCode: 404 });
    });

    it('serves the built assets with long caching', async () => {
      const html = await (await fetch(`${t.management}/`)).text();
      const script = /src="(main-[^"]+\.js)"/.exec(html)?.[1];
      expect(script).toBeDefined();
      const asset = await fetch(`${t.management}/${script}`);
      expect(asset.status).toBe(200);
      expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    });

    it('publishes the OpenAPI document and its UI at /api/docs', async () => {
      const ui = await fetch(`${t.management}/api/docs/`);
      expect(ui.status).toBe(200);
      expect(await ui.text()).toMatch(/swagger-ui/i);
      const { body } = await api(t.management, '/api/docs/openapi.json');
      expect(Object.keys(body.paths)).toEqual(
        expect.arrayContaining(['/health', '/api/auth/login', '/api/users', '/api/users/{username}']),
      );
      expect(body.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    });
  });

  describe('database', () => {
    it('has applied every migration and matches the entities exactly', async () => {
      const dataSource = t.server.app.get(DataSource);
      expect(await dataSource.showMigrations()).toBe(false);
      const pending = await dataSource.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((q) => q.query)).toEqual([]);
    });

    if (database.name === 'sqlite') {
      it('runs SQLite in WAL mode with foreign keys enforced', async () => {
        const dataSource = t.server.app.get(DataSource);
        expect(await dataSource.query('PRAGMA journal_mode')).toEqual([{ journal_mode: 'wal' }]);
        expect(await dataSource.query('PRAGMA foreign_keys')).toEqual([{ foreign_keys: 1 }]);
      });
    }
  });
});
