import { performance } from 'node:perf_hooks';
import { testDatabases } from './support/test-databases';
import { ADMIN_PASSWORD, api, bootTestServer, login, type TestServer } from './support/test-server';

const SERIAL = '10000000abc12345';
const MAC = 'd8:3a:dd:12:34:56';
/** What the login limiter allows per minute by default (LOGIN_ATTEMPTS_PER_MINUTE). */
const ATTEMPTS_PER_MINUTE = 10;

/** Posts a body exactly as given (api() would re-encode it). */
async function postRaw(url: string, body: string, token?: string): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers['authorization'] = `Bearer ${token}`;
  const response = await fetch(url, { method: 'POST', headers, body });
  return { status: response.status, body: await response.json() };
}

const deepArrays = (depth: number) => `{"serial":${'['.repeat(depth)}${']'.repeat(depth)}}`;
const deepObjects = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

/**
 * Requests a probe of the running server answered with 500 (or let through): each must now be a
 * clear 4xx that changes nothing, without an error in the server's log.
 */
describe.each(testDatabases())('request hardening, on $name', (database) => {
  let t: TestServer;
  let adminToken: string;

  /** Where the server's log stood when the current test began. */
  let logMark = 0;
  const errorsLogged = () =>
    t.logger.lines.slice(logMark).filter((line) => line.startsWith('error') || line.startsWith('fatal'));
  const createUser = async (username: string, password: string) => {
    const created = await api(t.management, '/api/users', {
      method: 'POST',
      token: adminToken,
      body: { username, password, role: 'operator' },
    });
    expect(created.status).toBe(201);
  };
  /** A login from another client address (the server trusts X-Forwarded-For from loopback). */
  const loginFrom = (address: string, username: string, password: string) =>
    api(t.management, '/api/auth/login', {
      method: 'POST',
      headers: { 'x-forwarded-for': address },
      body: { username, password },
    });

  beforeAll(async () => {
    t = await bootTestServer({ DATABASE_URL: await database.create() });
    adminToken = (await login(t.management, 'admin', ADMIN_PASSWORD)).accessToken;
    const venue = await api(t.management, '/api/venues', {
      method: 'POST',
      token: adminToken,
      body: { code: 'CORO', name: 'Corona Karting' },
    });
    expect(venue.status).toBe(201);
  });

  afterAll(async () => {
    await t?.close();
    await database.dropAll();
  });

  beforeEach(() => {
    logMark = t.logger.lines.length;
  });

  afterEach(() => {
    expect(errorsLogged()).toEqual([]);
  });

  describe('deeply nested JSON', () => {
    it('answers 400 before validation on the unauthenticated /api/config, quickly', async () => {
      const medianOf9 = async (body: string, expected: object) => {
        const timings: number[] = [];
        for (let i = 0; i < 9; i++) {
          const started = performance.now();
          const refused = await postRaw(`${t.deployment}/api/config`, body);
          timings.push(performance.now() - started);
          expect(refused).toEqual({ status: 400, body: expect.objectContaining(expected) });
        }
        return timings.sort((a, b) => a - b)[4];
      };
      const deep = await medianOf9(deepArrays(45_000), {
        message: 'JSON body nested deeper than 32 levels: send a flatter body',
      });
      // The same request with a flat wrong serial of the same size, refused by validation.
      const flat = await medianOf9(`{"serial":"${'0'.repeat(90_000)}","mac":"${MAC}"}`, {
        message: ['serial must be 8-16 hex digits'],
      });
      console.log(`45000-deep body refused in ${deep.toFixed(1)} ms, a flat one as large in ${flat.toFixed(1)} ms`);
      expect(deep).toBeLessThan(flat * 2 + 10);
      const deployments = await api(t.management, '/api/deployments', { token: adminToken });
      expect(deployments.body.total).toBe(0);
    });

    it('answers 400 for 5000-deep objects on management routes, and creates nothing', async () => {
      for (const [path, token] of [
        ['/api/venues', adminToken],
        ['/api/auth/login', undefined],
        ['/api/users', adminToken],
      ] as const) {
        const refused = await postRaw(`${t.management}${path}`, deepObjects(5_000), token);
        expect(refused.status).toBe(400);
        expect(refused.body.message).toMatch(/nested deeper than 32 levels/);
      }
      const venues = await api(t.management, '/api/venues', { token: adminToken });
      expect(venues.body.map((venue: { code: string }) => venue.code)).toEqual(['CORO']);
    });

    it('counts only brackets outside strings, and lets a body just within the limit through to validation', async () => {
      const brackets = await postRaw(`${t.deployment}/api/config`, `{"serial":"${'['.repeat(100)}"}`);
      expect(brackets.status).toBe(400);
      expect(brackets.body.message).toContain('serial must be 8-16 hex digits');
      const withinLimit = await postRaw(`${t.management}/api/venues`, deepObjects(31), adminToken);
      expect(withinLimit.status).toBe(400);
      expect(withinLimit.body.message).toContain('property a should not exist');
    });
  });

  describe('null in an optional field', () => {
    it('is refused on users, venues, kart pools and /api/config, and nothing changes', async () => {
      await createUser('nina', 'nina-password-1');
      const role = await api(t.management, '/api/users/nina', {
        method: 'PATCH',
        token: adminToken,
        body: { role: null },
      });
      expect(role.status).toBe(400);
      expect(role.body.message).toContain('role may be left out, but must not be null');
      expect((await api(t.management, '/api/users/nina', { token: adminToken })).body.role).toBe('operator');

      const name = await api(t.management, '/api/venues/CORO', {
        method: 'PATCH',
        token: adminToken,
        body: { name: null, location: 'Kerpen' },
      });
      expect(name.status).toBe(400);
      expect(name.body.message).toContain('name may be left out, but must not be null');
      const venue = await api(t.management, '/api/venues/CORO', { token: adminToken });
      expect(venue.body).toMatchObject({ name: 'Corona Karting', location: null });

      const karts = await api(t.management, '/api/venues/CORO/karts', {
        method: 'POST',
        token: adminToken,
        body: { numbers: null, from: 1, to: 3 },
      });
      expect(karts.status).toBe(400);
      expect(karts.body.message).toContain('numbers may be left out, but must not be null');
      expect((await api(t.management, '/api/venues/CORO', { token: adminToken })).body.pool.available).toBe(0);

      const config = await api(t.deployment, '/api/config', {
        method: 'POST',
        body: { serial: SERIAL, mac: MAC, product: 'KXP2', venue: null },
      });
      expect(config.status).toBe(400);
      expect(config.body.message).toContain('venue may be left out, but must not be null');
      expect((await api(t.management, '/api/deployments', { token: adminToken })).body.total).toBe(0);
    });
  });

  describe('lone surrogates', () => {
    it('are refused in any JSON string, and nothing is stored', async () => {
      const email = await api(t.management, '/api/venues', {
        method: 'POST',
        token: adminToken,
        body: { code: 'SURR', name: 'Surrogates', contactEmail: 'a\ud800@example.com' },
      });
      expect(email.status).toBe(400);
      expect(email.body.message).toMatch(/lone UTF-16 surrogate/);
      const location = await api(t.management, '/api/venues/CORO', {
        method: 'PATCH',
        token: adminToken,
        body: { location: '\udc00' },
      });
      expect(location.status).toBe(400);
      const key = await postRaw(`${t.deployment}/api/config`, `{"serial":"${SERIAL}","\\ud800":1}`);
      expect(key.status).toBe(400);
      expect(key.body.message).toMatch(/lone UTF-16 surrogate/);

      const venues = await api(t.management, '/api/venues', { token: adminToken });
      expect(venues.body.map((venue: { code: string }) => venue.code)).toEqual(['CORO']);
      expect(venues.body[0].location).toBeNull();
      // A whole character outside the BMP (a surrogate pair) is text like any other.
      const pair = await api(t.management, '/api/venues/CORO', {
        method: 'PATCH',
        token: adminToken,
        body: { location: 'Kerpen 🏁' },
      });
      expect(pair.status).toBe(200);
      expect(pair.body.location).toBe('Kerpen 🏁');
    });
  });

  describe('numbers in queries and paths', () => {
    it('answers 400 with the allowed range for a page out of range', async () => {
      for (const page of ['99999999999999999999', '1000001', '0', '1.5']) {
        const refused = await api(t.management, `/api/deployments?page=${page}`, { token: adminToken });
        expect(refused.status).toBe(400);
        expect(refused.body.message).toContain('page must be a whole number from 1 to 1000000');
      }
      const csv = await api(t.management, '/api/deployments/export.csv?pageSize=99999999999999999999', {
        token: adminToken,
      });
      expect(csv.status).toBe(400);
      const lastPage = await api(t.management, '/api/deployments?page=1000000', { token: adminToken });
      expect(lastPage.status).toBe(200);
      expect(lastPage.body.items).toEqual([]);
    });

    it('answers 400 for row ids that are not ids', async () => {
      for (const id of ['99999999999999999999', '2147483648', '0', '-1', '1.5', 'abc']) {
        for (const path of [`/api/images/${id}`, `/api/batches/${id}`]) {
          const refused = await api(t.management, path, { token: adminToken });
          expect([path, refused.status, refused.body.message]).toEqual([
            path,
            400,
            'id must be a whole number from 1 to 2147483647',
          ]);
        }
      }
      const cancel = await api(t.management, '/api/batches/99999999999999999999/cancel', {
        method: 'POST',
        token: adminToken,
      });
      expect(cancel.status).toBe(400);
      expect((await api(t.management, '/api/images/2147483647', { token: adminToken })).status).toBe(404);
    });
  });

  describe('password guessing', () => {
    it('holds the login limit under 300 concurrent wrong passwords', async () => {
      await createUser('rita', 'rita-password-1');
      const statuses = await Promise.all(
        Array.from({ length: 300 }, async () => (await loginFrom('10.1.0.1', 'rita', 'not-her-password')).status),
      );
      expect(statuses.filter((status) => status === 401)).toHaveLength(ATTEMPTS_PER_MINUTE);
      expect(statuses.filter((status) => status === 429)).toHaveLength(300 - ATTEMPTS_PER_MINUTE);
      // The right password waits out the minute too; another address is not affected.
      expect((await loginFrom('10.1.0.1', 'rita', 'rita-password-1')).status).toBe(429);
      expect((await loginFrom('10.1.0.2', 'rita', 'rita-password-1')).status).toBe(200);
    });

    it('limits wrong current passwords when changing one own password, also under concurrency', async () => {
      await createUser('otto', 'otto-password-1');
      const otto = (await loginFrom('10.2.0.1', 'otto', 'otto-password-1')).body.accessToken as string;
      const change = (currentPassword: string) =>
        api(t.management, '/api/auth/password', {
          method: 'POST',
          token: otto,
          headers: { 'x-forwarded-for': '10.2.0.1' },
          body: { currentPassword, newPassword: 'otto-password-2' },
        });
      const statuses = await Promise.all(
        Array.from({ length: 50 }, async () => (await change('a-wrong-guess')).status),
      );
      expect(statuses.filter((status) => status === 400)).toHaveLength(ATTEMPTS_PER_MINUTE);
      expect(statuses.filter((status) => status === 429)).toHaveLength(50 - ATTEMPTS_PER_MINUTE);
      const right = await change('otto-password-1');
      expect(right.status).toBe(429);
      expect(right.body.message).toMatch(/try again in \d+ s/);
      // Nothing changed: the old password still works from elsewhere, the new one does not.
      expect((await loginFrom('10.2.0.2', 'otto', 'otto-password-1')).status).toBe(200);
      expect((await loginFrom('10.2.0.3', 'otto', 'otto-password-2')).status).toBe(401);
    });
  });

  describe('password rule', () => {
    const WEAK = ['1234567890', ' '.repeat(10), 'password123', 'qwertyuiopasdf', 'short'];

    it('refuses weak passwords on create, set-password and change-own-password, naming the rule', async () => {
      for (const password of WEAK) {
        const created = await api(t.management, '/api/users', {
          method: 'POST',
          token: adminToken,
          body: { username: 'wendy', password, role: 'viewer' },
        });
        expect([password, created.status]).toEqual([password, 400]);
        expect(created.body.message).toEqual([
          'password is too weak: use at least 10 characters and not easy to guess: no common passwords, words ' +
            'or names alone, no repeats, sequences (1234567890) or keyboard rows',
        ]);
      }
      expect((await api(t.management, '/api/users/wendy', { token: adminToken })).status).toBe(404);

      await createUser('sam', 'sam-password-1');
      for (const password of WEAK) {
        const set = await api(t.management, '/api/users/sam/password', {
          method: 'POST',
          token: adminToken,
          body: { password },
        });
        expect(set.status).toBe(400);
        expect(set.body.message[0]).toMatch(/^password is too weak: use at least 10 characters/);
      }
      const sam = (await loginFrom('10.3.0.1', 'sam', 'sam-password-1')).body.accessToken as string;
      const own = await api(t.management, '/api/auth/password', {
        method: 'POST',
        token: sam,
        body: { currentPassword: 'sam-password-1', newPassword: '1234567890' },
      });
      expect(own.status).toBe(400);
      expect(own.body.message[0]).toMatch(/^newPassword is too weak: use at least 10 characters/);
      expect((await loginFrom('10.3.0.2', 'sam', 'sam-password-1')).status).toBe(200);
      expect((await loginFrom('10.3.0.3', 'sam', '1234567890')).status).toBe(401);
    });
  });

  describe('browser security headers', () => {
    it('are sent by the management listener for the dashboard and the API, without HSTS over HTTP', async () => {
      for (const path of ['/', '/venues', '/api/health', '/api/docs/']) {
        const response = await fetch(`${t.management}${path}`);
        const csp = response.headers.get('content-security-policy') ?? '';
        expect([path, csp]).toEqual([path, expect.stringContaining("frame-ancestors 'none'")]);
        expect(csp).toContain("script-src 'self'");
        expect(csp).toContain("connect-src 'self'");
        expect(csp).not.toContain('upgrade-insecure-requests');
        expect(response.headers.get('x-frame-options')).toBe('DENY');
        expect(response.headers.get('x-content-type-options')).toBe('nosniff');
        expect(response.headers.get('referrer-policy')).toBe('no-referrer');
        expect(response.headers.get('strict-transport-security')).toBeNull();
        await response.arrayBuffer();
      }
    });

    it('are left to the installer routes of the deployment listener, which no browser shows', async () => {
      const response = await fetch(`${t.deployment}/health`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-security-policy')).toBeNull();
    });
  });
});
