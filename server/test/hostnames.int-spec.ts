import { ADMIN_PASSWORD, api, bootTestServer, login, type TestServer } from './support/test-server';
import { testDatabases } from './support/test-databases';

/** A Pi-like identity: 16 hex digits of serial and a Pi 5 MAC, both derived from n. */
function device(n: number) {
  const hex = n.toString(16).padStart(8, '0');
  return {
    serial: `10000000${hex}`,
    mac: `d8:3a:dd:${hex.slice(2, 4)}:${hex.slice(4, 6)}:${hex.slice(6, 8)}`,
  };
}

describe.each(testDatabases())('hostnames on $name', (database) => {
  let t: TestServer;
  let token: string;
  let viewerToken: string;
  const call = (method: string, path: string, body?: unknown, as = token) =>
    api(t.management, path, { method, token: as, body });

  beforeAll(async () => {
    t = await bootTestServer({ DATABASE_URL: await database.create() });
    token = (await login(t.management, 'admin', ADMIN_PASSWORD)).accessToken;
    await call('POST', '/api/users', { username: 'vic', password: 'viewer-password', role: 'viewer' });
    viewerToken = (await login(t.management, 'vic', 'viewer-password')).accessToken;
  });

  afterAll(async () => {
    await t?.close();
    await database.dropAll();
  });

  describe('venues', () => {
    it('creates a venue with its code upper-cased, and refuses the same code in any case', async () => {
      const created = await call('POST', '/api/venues', {
        code: 'coro',
        name: 'Corona Karting',
        location: 'Kerpen',
        contactEmail: 'track@example.com',
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        code: 'CORO',
        name: 'Corona Karting',
        location: 'Kerpen',
        contactEmail: 'track@example.com',
        pool: { available: 0, assigned: 0, retired: 0 },
      });
      const again = await call('POST', '/api/venues', { code: 'CoRo', name: 'Other' });
      expect(again.status).toBe(409);
      expect(again.body.message).toBe('Venue CORO already exists');
    });

    it.each([
      [{ code: 'COR', name: 'x' }, /code must be exactly 4 letters or digits/],
      [{ code: 'CORON', name: 'x' }, /code must be exactly 4/],
      [{ code: 'CO-O', name: 'x' }, /code must be exactly 4/],
      [{ code: 'ABCD' }, /name/],
      [{ code: 'ABCD', name: '   ' }, /name must not be blank/],
      [{ code: 'ABCD', name: 'x'.repeat(121) }, /name must be shorter than or equal to 120/],
      [{ code: 'ABCD', name: 'x', contactEmail: 'not-an-email' }, /contactEmail must be an e-mail address/],
      [{ code: 'ABCD', name: 'x', rogue: true }, /property rogue should not exist/],
      [{ code: 1234, name: 'x' }, /code must be a string/],
    ])('refuses %j with a 400 that names the field', async (body, message) => {
      const response = await call('POST', '/api/venues', body);
      expect(response.status).toBe(400);
      expect(response.body.message.join('\n')).toMatch(message);
      expect((await call('GET', '/api/venues/ABCD')).status).toBe(404);
    });

    it('lets viewers read but not write', async () => {
      expect((await call('GET', '/api/venues', undefined, viewerToken)).status).toBe(200);
      expect((await call('POST', '/api/venues', { code: 'VIEW', name: 'x' }, viewerToken)).status).toBe(403);
    });

    it('updates and clears fields', async () => {
      const updated = await call('PATCH', '/api/venues/coro', { name: 'Corona Kart Arena', location: '' });
      expect(updated.status).toBe(200);
      expect(updated.body).toMatchObject({ code: 'CORO', name: 'Corona Kart Arena', location: null });
      expect((await call('PATCH', '/api/venues/CORO', {})).status).toBe(400);
      expect((await call('PATCH', '/api/venues/NOPE', { name: 'x' })).status).toBe(404);
    });
  });

  describe('kart pools', () => {
    it('imports a range, zero-padded', async () => {
      const response = await call('POST', '/api/venues/CORO/karts', { from: 1, to: 50 });
      expect(response).toMatchObject({ status: 200, body: { added: 50, skipped: 0 } });
      const list = await call('GET', '/api/hostnames?venue=CORO&product=KXP2');
      expect(list.body).toHaveLength(50);
      expect(list.body[0]).toMatchObject({ hostname: 'KXP2-CORO-001', identifier: '001', status: 'available' });
      expect(list.body[49].hostname).toBe('KXP2-CORO-050');
    });

    it('imports a list, skipping and counting numbers already there or repeated', async () => {
      const response = await call('POST', '/api/venues/coro/karts', { numbers: ['001', '50', 51, '051', '052'] });
      expect(response.body).toEqual({ added: 2, skipped: 3 });
      expect((await call('GET', '/api/venues/CORO')).body.pool).toEqual({ available: 52, assigned: 0, retired: 0 });
    });

    it.each([
      [{ from: 0, to: 5 }, /from must not be less than 1/],
      [{ from: 990, to: 1000 }, /to must not be greater than 999/],
      [{ numbers: ['1000'] }, /numbers must be whole numbers or strings of 1-3 digits/],
      [{ numbers: [0] }, /Kart numbers must be 1-999; out of range: 0/],
      [{ numbers: ['abc'] }, /numbers must be whole numbers or strings of 1-3 digits/],
      [{ numbers: [] }, /numbers should not be empty/],
      [{ numbers: ['001'], from: 1, to: 2 }, /either numbers or from\/to, not both/],
      [{ from: 10, to: 5 }, /from \(10\) must not be greater than to \(5\)/],
      [{ from: 10 }, /Give both from and to/],
      [{}, /Give numbers, or from and to/],
      [{ from: '1', to: '5' }, /from must be an integer number/],
    ])('refuses %j with 400 and imports nothing', async (body, message) => {
      const response = await call('POST', '/api/venues/CORO/karts', body);
      expect(response.status).toBe(400);
      expect([response.body.message].flat().join('\n')).toMatch(message);
      expect((await call('GET', '/api/venues/CORO')).body.pool.available).toBe(52);
    });

    it('answers 404 for an unknown venue', async () => {
      expect((await call('POST', '/api/venues/NONE/karts', { from: 1, to: 2 })).status).toBe(404);
    });
  });

  describe('assignment', () => {
    const assign = (body: object) => call('POST', '/api/hostnames/assign', body);

    beforeAll(async () => {
      await call('POST', '/api/venues', { code: 'ASGN', name: 'Assignment track' });
      await call('POST', '/api/venues/ASGN/karts', { from: 1, to: 5 });
    });

    it('hands out the lowest free kart number, and the same one again to the same device', async () => {
      const first = await assign({ ...device(1), product: 'KXP2', venue: 'ASGN' });
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({
        hostname: 'KXP2-ASGN-001',
        status: 'assigned',
        deviceSerial: device(1).serial,
        deviceMac: device(1).mac,
        reused: false,
      });
      const again = await assign({ ...device(1), product: 'KXP2', venue: 'ASGN' });
      expect(again.body).toMatchObject({ hostname: 'KXP2-ASGN-001', reused: true });
      const sameMacNewSerial = await assign({
        serial: 'ffffffff00000001',
        mac: device(1).mac,
        product: 'KXP2',
        venue: 'asgn',
      });
      expect(sameMacNewSerial.body).toMatchObject({ hostname: 'KXP2-ASGN-001', reused: true });
      const upperCaseSerial = await assign({
        serial: device(1).serial.toUpperCase(),
        mac: '02:00:00:00:00:99',
        product: 'KXP2',
        venue: 'ASGN',
      });
      expect(upperCaseSerial.body.hostname).toBe('KXP2-ASGN-001');
      expect((await assign({ ...device(2), product: 'KXP2', venue: 'ASGN' })).body.hostname).toBe('KXP2-ASGN-002');
    });

    it('reuses a released number and never hands out a retired one', async () => {
      const released = await call('POST', '/api/hostnames/KXP2-ASGN-001/release');
      expect(released.body).toMatchObject({
        status: 'available',
        deviceSerial: null,
        deviceMac: null,
        assignedAt: null,
      });
      expect((await call('POST', '/api/hostnames/kxp2-asgn-003/retire')).body.status).toBe('retired');
      expect((await assign({ ...device(3), product: 'KXP2', venue: 'ASGN' })).body.hostname).toBe('KXP2-ASGN-001');
      expect((await assign({ ...device(4), product: 'KXP2', venue: 'ASGN' })).body.hostname).toBe('KXP2-ASGN-004');
      expect((await assign({ ...device(5), product: 'KXP2', venue: 'ASGN' })).body.hostname).toBe('KXP2-ASGN-005');
      const exhausted = await assign({ ...device(6), product: 'KXP2', venue: 'ASGN' });
      expect(exhausted.status).toBe(409);
      expect(exhausted.body.message).toMatch(/No free kart number left in the pool of ASGN/);
      expect((await call('POST', '/api/hostnames/KXP2-ASGN-003/retire')).status).toBe(409);
      expect((await call('POST', '/api/hostnames/KXP2-ASGN-404/release')).status).toBe(404);
    });

    it('refuses to delete a venue whose hostnames are in use', async () => {
      const refused = await call('DELETE', '/api/venues/ASGN');
      expect(refused.status).toBe(409);
      expect(refused.body.message).toMatch(/still has 4 assigned hostname/);
    });

    it('names RXP2 units after the last 8 hex digits of the serial', async () => {
      const rxp2 = await assign({
        serial: '10000000abc12345',
        mac: '2c:cf:67:00:00:01',
        product: 'rxp2',
        venue: 'ASGN',
      });
      expect(rxp2.body).toMatchObject({ hostname: 'RXP2-ASGN-ABC12345', identifier: 'ABC12345', product: 'RXP2' });
      const again = await assign({
        serial: '10000000ABC12345',
        mac: '2c:cf:67:00:00:01',
        product: 'RXP2',
        venue: 'ASGN',
      });
      expect(again.body).toMatchObject({ hostname: 'RXP2-ASGN-ABC12345', reused: true });
      const clash = await assign({
        serial: '20000000abc12345',
        mac: '2c:cf:67:00:00:02',
        product: 'RXP2',
        venue: 'ASGN',
      });
      expect(clash.status).toBe(409);
      expect(clash.body.message).toMatch(/RXP2-ASGN-ABC12345 is held by another device/);
      const list = await call('GET', '/api/hostnames?venue=ASGN&product=RXP2&status=assigned');
      expect(list.body.map((h: { hostname: string }) => h.hostname)).toEqual(['RXP2-ASGN-ABC12345']);
    });

    it.each([
      [
        { serial: 'xyz', mac: 'd8:3a:dd:00:00:01', product: 'KXP2', venue: 'ASGN' },
        400,
        /serial must be 8-16 hex digits/,
      ],
      [{ serial: '1234567', mac: 'd8:3a:dd:00:00:01', product: 'KXP2', venue: 'ASGN' }, 400, /serial must be 8-16 hex/],
      [
        { serial: 'a'.repeat(17), mac: 'd8:3a:dd:00:00:01', product: 'KXP2', venue: 'ASGN' },
        400,
        /serial must be 8-16 hex/,
      ],
      [{ serial: 12345678, mac: 'd8:3a:dd:00:00:01', product: 'KXP2', venue: 'ASGN' }, 400, /serial must be a string/],
      [
        { serial: '10000000aaaaaaaa', mac: 'd8-3a-dd-00-00-01', product: 'KXP2', venue: 'ASGN' },
        400,
        /mac must look like/,
      ],
      [
        { serial: '10000000aaaaaaaa', mac: 'd8:3a:dd:00:00:01', product: 'KXP3', venue: 'ASGN' },
        400,
        /product must be one of KXP2, RXP2/,
      ],
      [
        { serial: '10000000aaaaaaaa', mac: 'd8:3a:dd:00:00:01', product: 'KXP2', venue: 'AS' },
        400,
        /venue must be exactly 4/,
      ],
      [
        { serial: '10000000aaaaaaaa', mac: 'd8:3a:dd:00:00:01', product: 'KXP2', venue: 'ZZZZ' },
        404,
        /Unknown venue "ZZZZ"/,
      ],
      [{ mac: 'd8:3a:dd:00:00:01' }, 400, /serial/],
      [
        { serial: '10000000aaaaaaaa', mac: 'd8:3a:dd:00:00:01', venue: 'ASGN', extra: 1 },
        400,
        /property extra should not exist/,
      ],
    ])('answers %j with %i', async (body, status, message) => {
      const response = await assign(body);
      expect(response.status).toBe(status);
      expect([response.body.message].flat().join('\n')).toMatch(message);
    });
  });

  describe('batches', () => {
    const assign = (body: object) => call('POST', '/api/hostnames/assign', body);

    beforeAll(async () => {
      await call('POST', '/api/venues', { code: 'BTCH', name: 'Batch track' });
      await call('POST', '/api/venues', { code: 'PRIO', name: 'Priority track' });
      await call('POST', '/api/venues/BTCH/karts', { from: 1, to: 10 });
    });

    it('refuses a KXP2 batch larger than the free pool', async () => {
      const response = await call('POST', '/api/batches', { venue: 'BTCH', product: 'KXP2', count: 11 });
      expect(response.status).toBe(409);
      expect(response.body.message).toMatch(/has 10 free number\(s\) but the batch needs 11/);
    });

    it.each([
      [{ venue: 'BTCH', product: 'KXP2', count: 0 }, /count must not be less than 1/],
      [{ venue: 'BTCH', product: 'KXP2', count: 2.5 }, /count must be a whole number/],
      [{ venue: 'BTCH', product: 'KXP2', count: '3' }, /count must be a whole number/],
      [{ venue: 'BTCH', product: 'ABCD', count: 3 }, /product must be one of/],
      [{ venue: 'BTCH', product: 'KXP2', count: 3, priority: 5000 }, /priority must not be greater than 1000/],
      [{ product: 'KXP2', count: 3 }, /venue/],
    ])('refuses %j with 400', async (body, message) => {
      const response = await call('POST', '/api/batches', body);
      expect(response.status).toBe(400);
      expect(response.body.message.join('\n')).toMatch(message);
    });

    it('runs a batch through its lifecycle and completes it when its count is reached', async () => {
      const created = await call('POST', '/api/batches', { venue: 'btch', product: 'kxp2', count: 3 });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        venue: 'BTCH',
        product: 'KXP2',
        count: 3,
        assigned: 0,
        priority: 0,
        status: 'pending',
      });
      const id = created.body.id;

      expect((await assign(device(100))).status).toBe(409); // pending batches do not count
      expect((await call('POST', `/api/batches/${id}/pause`)).status).toBe(409);
      expect((await call('POST', `/api/batches/${id}/start`)).body).toMatchObject({
        status: 'active',
        startedAt: expect.any(String),
      });
      expect((await call('POST', `/api/batches/${id}/pause`)).body.status).toBe('paused');
      const whilePaused = await assign(device(100));
      expect(whilePaused.status).toBe(409);
      expect(whilePaused.body.message).toMatch(/No active batch: start a batch, or send both product and venue/);
      expect((await call('POST', `/api/batches/${id}/start`)).body.status).toBe('active');

      const names = [];
      for (const n of [100, 101, 102]) {
        const response = await assign(device(n));
        expect(response.body).toMatchObject({ venue: 'BTCH', product: 'KXP2', batchId: id, reused: false });
        names.push(response.body.hostname);
      }
      expect(names).toEqual(['KXP2-BTCH-001', 'KXP2-BTCH-002', 'KXP2-BTCH-003']);
      // A reboot mid-install does not count twice.
      expect((await assign(device(102))).body).toMatchObject({ hostname: 'KXP2-BTCH-003', reused: true });

      const batch = (await call('GET', `/api/batches/${id}`)).body;
      expect(batch).toMatchObject({ status: 'completed', assigned: 3, finishedAt: expect.any(String) });
      expect((await assign(device(103))).status).toBe(409);
      expect((await call('POST', `/api/batches/${id}/cancel`)).status).toBe(409);
      expect((await call('POST', `/api/batches/${id}/start`)).status).toBe(409);
    });

    it('lets the active batch with the highest priority decide, and fills in what the Pi did not say', async () => {
      const low = (await call('POST', '/api/batches', { venue: 'BTCH', product: 'KXP2', count: 2, priority: 1 })).body;
      const high = (await call('POST', '/api/batches', { venue: 'PRIO', product: 'RXP2', count: 5, priority: 10 }))
        .body;
      await call('POST', `/api/batches/${low.id}/start`);
      await call('POST', `/api/batches/${high.id}/start`);

      expect((await assign(device(200))).body).toMatchObject({ venue: 'PRIO', product: 'RXP2', batchId: high.id });
      expect((await assign({ ...device(201), product: 'KXP2' })).body).toMatchObject({
        venue: 'BTCH',
        batchId: low.id,
      });
      expect((await assign({ ...device(202), venue: 'BTCH' })).body).toMatchObject({
        product: 'KXP2',
        batchId: low.id,
      });

      const cancelled = await call('POST', `/api/batches/${high.id}/cancel`);
      expect(cancelled.body).toMatchObject({ status: 'cancelled', assigned: 1 });
      const list = (await call('GET', '/api/batches')).body;
      expect(list.map((b: { id: number }) => b.id).slice(0, 2)).toEqual([high.id, low.id]);
      expect((await call('GET', '/api/batches/abc')).status).toBe(400);
      expect((await call('GET', '/api/batches/99999')).status).toBe(404);
    });

    it('refuses to delete a venue with open batches, then deletes it once they are closed', async () => {
      const batch = (await call('POST', '/api/batches', { venue: 'PRIO', product: 'RXP2', count: 1 })).body;
      expect((await call('DELETE', '/api/venues/PRIO')).body.message).toMatch(/Release or retire|assigned hostname/i);
      await call(
        'POST',
        '/api/hostnames/' + (await call('GET', '/api/hostnames?venue=PRIO')).body[0].hostname + '/release',
      );
      const open = await call('DELETE', '/api/venues/PRIO');
      expect(open.status).toBe(409);
      expect(open.body.message).toMatch(/1 open batch/);
      await call('POST', `/api/batches/${batch.id}/cancel`);
      expect((await call('DELETE', '/api/venues/PRIO')).status).toBe(204);
      expect((await call('GET', '/api/venues/PRIO')).status).toBe(404);
    });
  });

  describe('under concurrency', () => {
    it('gives 200 simultaneous devices exactly the 50 numbers of the pool and 150 clean 409s', async () => {
      await call('POST', '/api/venues', { code: 'RUSH', name: 'Rush hour' });
      await call('POST', '/api/venues/RUSH/karts', { from: 1, to: 50 });
      const started = performance.now();
      const responses = await Promise.all(
        Array.from({ length: 200 }, (_, n) =>
          call('POST', '/api/hostnames/assign', { ...device(10_000 + n), product: 'KXP2', venue: 'RUSH' }),
        ),
      );
      const wallMs = performance.now() - started;
      const ok = responses.filter((r) => r.status === 200);
      const conflicts = responses.filter((r) => r.status === 409);
      const hostnames = new Set(ok.map((r) => r.body.hostname));
      const devices = new Set(ok.map((r) => r.body.deviceSerial));
      process.stdout.write(
        `[concurrency ${database.name}] 200 requests, pool 50: ${ok.length} assigned, ${hostnames.size} distinct, ` +
          `${conflicts.length} x 409, ${responses.length - ok.length - conflicts.length} other, ${wallMs.toFixed(0)} ms\n`,
      );
      expect(ok).toHaveLength(50);
      expect(hostnames.size).toBe(50);
      expect(devices.size).toBe(50);
      expect(conflicts).toHaveLength(150);
      expect(new Set(conflicts.map((r) => r.body.message))).toEqual(
        new Set(['No free kart number left in the pool of RUSH: import more with POST /api/venues/RUSH/karts']),
      );
      const pool = (await call('GET', '/api/venues/RUSH')).body.pool;
      expect(pool).toEqual({ available: 0, assigned: 50, retired: 0 });
    });

    it('gives one device asking 20 times at once one hostname, burning one number', async () => {
      await call('POST', '/api/venues', { code: 'BOOT', name: 'Reboot loop' });
      await call('POST', '/api/venues/BOOT/karts', { from: 1, to: 10 });
      const responses = await Promise.all(
        Array.from({ length: 20 }, () =>
          call('POST', '/api/hostnames/assign', { ...device(7), product: 'KXP2', venue: 'BOOT' }),
        ),
      );
      expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200));
      expect(new Set(responses.map((r) => r.body.hostname))).toEqual(new Set(['KXP2-BOOT-001']));
      expect(responses.filter((r) => !r.body.reused)).toHaveLength(1);
      expect((await call('GET', '/api/venues/BOOT')).body.pool).toEqual({ available: 9, assigned: 1, retired: 0 });
    });

    it('counts a batch exactly under concurrency: 60 devices, batch of 25', async () => {
      await call('POST', '/api/venues', { code: 'BULK', name: 'Bulk' });
      await call('POST', '/api/venues/BULK/karts', { from: 1, to: 100 });
      for (const b of (await call('GET', '/api/batches')).body) {
        if (['active', 'paused', 'pending'].includes(b.status)) await call('POST', `/api/batches/${b.id}/cancel`);
      }
      const batch = (await call('POST', '/api/batches', { venue: 'BULK', product: 'KXP2', count: 25 })).body;
      await call('POST', `/api/batches/${batch.id}/start`);
      const responses = await Promise.all(
        Array.from({ length: 60 }, (_, n) => call('POST', '/api/hostnames/assign', device(20_000 + n))),
      );
      expect(responses.filter((r) => r.status === 200)).toHaveLength(25);
      expect(responses.filter((r) => r.status === 409)).toHaveLength(35);
      expect((await call('GET', `/api/batches/${batch.id}`)).body).toMatchObject({ status: 'completed', assigned: 25 });
    });
  });
});
