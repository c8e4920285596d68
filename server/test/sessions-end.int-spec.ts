import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { SOCKET_EVENTS, type LoginResponse, type Role } from '@rpi-deploy/contracts';
import { uploadImage, waitFor } from '@rpi-deploy/test-kit';
import { buildMbrImage } from './support/mbr-image';
import { testDatabases } from './support/test-databases';
import { ADMIN_PASSWORD, api, bootTestServer, login, type TestServer } from './support/test-server';

const PASSWORD = 'dashboard-user-password-1';

/** A logged-in dashboard's socket and what it saw. */
interface Dashboard {
  socket: Socket;
  token: string;
  /** `images.changed` events received. */
  events: unknown[];
  /** Why the socket went down, once it has. */
  disconnected: Promise<string>;
}

function connect(url: string, token: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = io(url, { path: '/socket.io', transports: ['websocket'], auth: { token }, reconnection: false });
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error) => {
      socket.close();
      reject(error);
    });
  });
}

/**
 * Disabling a user, setting their password or changing their role ends their HTTP sessions
 * (the token version moves on); their live sockets must end at the same moment, while other
 * users' sockets stay and keep getting events.
 */
describe.each(testDatabases())('sessions end on live sockets too, on $name', (database) => {
  let t: TestServer;
  let work: string;
  let adminToken: string;
  let imageId: number;
  let admin: Dashboard;
  const sockets: Socket[] = [];

  const dashboard = async (token: string): Promise<Dashboard> => {
    const socket = await connect(t.management, token);
    sockets.push(socket);
    const events: unknown[] = [];
    socket.on(SOCKET_EVENTS.imagesChanged, (event: unknown) => events.push(event));
    const disconnected = new Promise<string>((resolve) => socket.once('disconnect', resolve));
    return { socket, token, events, disconnected };
  };
  const newUser = async (username: string, role: Role): Promise<Dashboard> => {
    const created = await api(t.management, '/api/users', {
      method: 'POST',
      token: adminToken,
      body: { username, password: PASSWORD, role },
    });
    expect(created.status).toBe(201);
    return dashboard((await login(t.management, username, PASSWORD)).accessToken);
  };
  /** Publishes one live event and waits until each of `receivers` has it. */
  const publishEvent = async (receivers: Dashboard[]) => {
    const before = receivers.map((receiver) => receiver.events.length);
    const activated = await api(t.management, `/api/images/${imageId}/activate`, { method: 'POST', token: adminToken });
    expect(activated.status).toBe(200);
    await waitFor('every connected dashboard to get images.changed', async () =>
      receivers.every((receiver, i) => receiver.events.length > before[i]) ? true : undefined,
    );
  };
  /** Runs `end` and expects `target`'s socket, and only it, to be disconnected by the server within a second. */
  const expectEndsOnly = async (target: Dashboard, bystanders: Dashboard[], end: () => Promise<number>) => {
    await publishEvent([admin, target, ...bystanders]);
    const started = Date.now();
    expect(await end()).toBe(200);
    const reason = await Promise.race([
      target.disconnected,
      new Promise<string>((resolve) => setTimeout(() => resolve('still connected after 1 s'), 1_000)),
    ]);
    expect(reason).toBe('io server disconnect');
    expect(Date.now() - started).toBeLessThan(1_000);
    const seen = target.events.length;
    await publishEvent([admin, ...bystanders]);
    await publishEvent([admin, ...bystanders]);
    expect(target.events).toHaveLength(seen);
    for (const bystander of bystanders) expect(bystander.socket.connected).toBe(true);
    // The old token opens no new socket either.
    await expect(connect(t.management, target.token)).rejects.toThrow(/unauthorized/);
  };

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'sessions-end-'));
    t = await bootTestServer({ DATABASE_URL: await database.create() });
    adminToken = (await login(t.management, 'admin', ADMIN_PASSWORD)).accessToken;
    const image = buildMbrImage(work, 'sessions.img', 64);
    imageId = (await uploadImage(t.management, adminToken, { filePath: image.path, product: 'KXP2', version: '1' })).id;
    admin = await dashboard(adminToken);
  });
  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await t?.close();
    await database.dropAll();
    rmSync(work, { recursive: true, force: true });
  });

  it('disconnects a disabled user at once; other users stay connected', async () => {
    const target = await newUser('disabled-one', 'viewer');
    const otherTab = await dashboard(target.token);
    const bystander = await newUser('bystander-one', 'viewer');
    await expectEndsOnly(target, [bystander], async () => {
      const response = await api(t.management, '/api/users/disabled-one', {
        method: 'PATCH',
        token: adminToken,
        body: { disabled: true },
      });
      return response.status;
    });
    // Every socket of that user, not just one.
    expect(await otherTab.disconnected).toBe('io server disconnect');
  });

  it('disconnects a user whose password an admin set', async () => {
    const target = await newUser('password-one', 'operator');
    const bystander = await newUser('bystander-two', 'operator');
    await expectEndsOnly(target, [bystander], async () => {
      const response = await api(t.management, '/api/users/password-one/password', {
        method: 'POST',
        token: adminToken,
        body: { password: 'a-new-password-for-her' },
      });
      return response.status;
    });
  });

  it('disconnects a user whose role changed (their token no longer says what they may do)', async () => {
    const target = await newUser('promoted-one', 'viewer');
    const bystander = await newUser('bystander-three', 'viewer');
    await expectEndsOnly(target, [bystander], async () => {
      const response = await api(t.management, '/api/users/promoted-one', {
        method: 'PATCH',
        token: adminToken,
        body: { role: 'operator' },
      });
      return response.status;
    });
    // With a new login the socket comes back, with the new role behind it.
    const again = await dashboard((await login(t.management, 'promoted-one', PASSWORD)).accessToken);
    await publishEvent([again]);
  });

  it('disconnects the other sessions of a user who changed their own password; the new token connects', async () => {
    const target = await newUser('changes-own', 'viewer');
    let fresh: LoginResponse | undefined;
    await expectEndsOnly(target, [], async () => {
      const response = await api(t.management, '/api/auth/password', {
        method: 'POST',
        token: target.token,
        body: { currentPassword: PASSWORD, newPassword: 'changes-own-new-password' },
      });
      fresh = response.body as LoginResponse;
      return response.status;
    });
    const again = await dashboard(fresh!.accessToken);
    await publishEvent([again]);
  });

  it('leaves sockets alone when nothing about the session changed', async () => {
    const target = await newUser('unchanged-one', 'viewer');
    const response = await api(t.management, '/api/users/unchanged-one', {
      method: 'PATCH',
      token: adminToken,
      body: { role: 'viewer', disabled: false },
    });
    expect(response.status).toBe(200);
    await publishEvent([target]);
    expect(target.socket.connected).toBe(true);
  });
});
