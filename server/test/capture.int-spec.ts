import {
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  closeSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io } from 'socket.io-client';
import {
  CAPTURE_OFFSET_HEADER,
  SOCKET_EVENTS,
  type CaptureSessionDto,
  type ImageDto,
  type ImageProgressEvent,
} from '@rpi-deploy/contracts';
import { buildPiOsImage, waitFor, type PiOsImage } from '@rpi-deploy/test-kit';
import { uploadMultipart } from '../src/cli/multipart-upload';
import { testDatabases } from './support/test-databases';
import { ADMIN_PASSWORD, api, bootTestServer, login, type TestServer } from './support/test-server';

const UNIT = { serial: '10000000cafe0001', mac: 'd8:3a:dd:00:00:01' };

/** Reads `length` bytes of `path` from `offset`. */
function slice(path: string, offset: number, length: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, offset);
    return buffer;
  } finally {
    closeSync(fd);
  }
}

/** The first offset from which the image is zeros to its end (the part a capture need not send). */
function zerosFrom(image: PiOsImage): number {
  const data = readFileSync(image.path);
  let end = data.length;
  while (end > 0 && data[end - 1] === 0) end -= 1;
  return Math.ceil(end / 4096) * 4096;
}

describe.each(testDatabases())('capture on $name: a marked unit sends its card as a new image version', (database) => {
  let t: TestServer;
  let work: string;
  let tftpRoot: string;
  let admin: string;
  let viewer: string;
  let image: PiOsImage;

  const put = (path: string, body: unknown, token = admin) => api(t.management, path, { method: 'PUT', token, body });
  const open = (body: unknown = { ...UNIT, sizeBytes: image.size }) =>
    api(t.deployment, '/api/capture', { method: 'POST', body });
  const auth = (session: CaptureSessionDto) => ({ authorization: `Bearer ${session.token}` });
  const state = (session: CaptureSessionDto) =>
    api(t.deployment, `/api/capture/${session.captureId}`, { headers: auth(session) });
  const send = (session: CaptureSessionDto, offset: number, body: Buffer, headers: Record<string, string> = {}) =>
    fetch(`${t.deployment}/api/capture/${session.captureId}/bytes`, {
      method: 'PUT',
      headers: {
        ...auth(session),
        'content-type': 'application/octet-stream',
        [CAPTURE_OFFSET_HEADER]: String(offset),
        ...headers,
      },
      body,
    });
  const uploadsLeft = () => readdirSync(join(t.dataDir, 'images')).filter((name) => name.startsWith('.upload-'));

  /** Sends `total` bytes from `offset` but cuts the connection after `cutAfter` of them. */
  const sendAndCut = (session: CaptureSessionDto, offset: number, data: Buffer, cutAfter: number) =>
    new Promise<void>((resolve) => {
      const target = new URL(`${t.deployment}/api/capture/${session.captureId}/bytes`);
      const outgoing = request(target, {
        method: 'PUT',
        headers: {
          ...auth(session),
          'content-type': 'application/octet-stream',
          'content-length': String(data.length),
          [CAPTURE_OFFSET_HEADER]: String(offset),
        },
      });
      outgoing.on('error', () => resolve());
      outgoing.write(data.subarray(0, cutAfter), () => setTimeout(() => outgoing.destroy(), 200));
      outgoing.on('close', () => resolve());
    });

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'rpi-deploy-capture-'));
    mkdirSync(join(work, 'build'));
    writeFileSync(join(work, 'build', 'initramfs.img'), 'initramfs for the test\n');
    tftpRoot = join(work, 'tftp', 'root');
    t = await bootTestServer({
      DATABASE_URL: await database.create(),
      NETBOOT_BUILD_DIR: join(work, 'build'),
      TFTP_ROOT: tftpRoot,
      NETBOOT_INTERFACE: 'lo',
    });
    admin = (await login(t.management, 'admin', ADMIN_PASSWORD)).accessToken;
    const created = await api(t.management, '/api/users', {
      method: 'POST',
      token: admin,
      body: { username: 'viewer', password: 'viewer-password-1', role: 'viewer' },
    });
    expect(created.status).toBe(201);
    viewer = (await login(t.management, 'viewer', 'viewer-password-1')).accessToken;
    image = buildPiOsImage(work, { sizeMiB: 72, randomDataMiB: 2 });
    // An active image and a TFTP root, so a mark shows on the unit's kernel command line.
    const uploaded = await uploadMultipart({
      url: `${t.management}/api/images`,
      token: admin,
      fields: { product: 'KXP2', version: '1.0.0' },
      filePath: image.path,
    });
    expect(uploaded.status).toBe(201);
    const id = (uploaded.body as ImageDto).id;
    expect((await api(t.management, `/api/images/${id}/activate`, { method: 'POST', token: admin })).status).toBe(200);
    expect((await api(t.management, '/api/netboot/sync-tftp', { method: 'POST', token: admin })).status).toBe(200);
  }, 180_000);

  afterAll(async () => {
    await t?.close();
    await database.dropAll();
    rmSync(work, { recursive: true, force: true });
  }, 120_000);

  it('refuses a capture of a unit nobody marked, and capture routes on the management listener', async () => {
    const refused = await open();
    expect(refused.status).toBe(404);
    expect(refused.body.message).toContain('not marked for capture');
    expect((await api(t.management, '/api/capture', { method: 'POST', token: admin, body: {} })).status).toBe(404);
  });

  it('marks a unit for operators only, refuses bad input and a version that exists, and puts deploy.mode=capture on its command line', async () => {
    expect((await put('/api/netboot/units/cafe0001/capture', { product: 'KXP2', version: '2.0' }, viewer)).status).toBe(
      403,
    );
    expect((await put('/api/netboot/units/cafe0001/capture', { product: 'KXP2', version: '../x' })).status).toBe(400);
    expect((await put('/api/netboot/units/nothex/capture', { product: 'KXP2', version: '2.0' })).status).toBe(400);
    const exists = await put('/api/netboot/units/cafe0001/capture', { product: 'KXP2', version: '1.0.0' });
    expect(exists.status).toBe(409);
    expect((await api(t.management, '/api/netboot/captures', { token: viewer })).body).toEqual([]);

    const marked = await put(`/api/netboot/units/${UNIT.serial}/capture`, { product: 'kxp2', version: '2.0' });
    expect(marked.status).toBe(200);
    expect(marked.body).toMatchObject({ serial: 'cafe0001', product: 'KXP2', version: '2.0', markedBy: 'admin' });
    expect((await api(t.management, '/api/netboot/captures', { token: viewer })).body).toEqual([marked.body]);
    expect(readFileSync(join(tftpRoot, 'cafe0001', 'cmdline.txt'), 'utf8')).toContain('deploy.mode=capture');
  });

  it('refuses bad capture requests with a clear 4xx and changes nothing', async () => {
    expect((await open({ ...UNIT, sizeBytes: -1 })).status).toBe(400);
    expect((await open({ serial: 'xyz', mac: UNIT.mac, sizeBytes: 1 })).status).toBe(400);
    const session = (await open()).body as CaptureSessionDto;
    expect((await api(t.deployment, `/api/capture/${session.captureId}`)).status).toBe(401);
    expect(
      (await api(t.deployment, `/api/capture/${session.captureId}`, { headers: { authorization: 'Bearer nope' } }))
        .status,
    ).toBe(401);
    const beyond = await send(session, image.size, Buffer.alloc(4096));
    expect(beyond.status).toBe(400);
    expect(await beyond.text()).toContain('beyond');
    const noOffset = await fetch(`${t.deployment}/api/capture/${session.captureId}/bytes`, {
      method: 'PUT',
      headers: { ...auth(session), 'content-type': 'application/octet-stream' },
      body: Buffer.alloc(10),
    });
    expect(noOffset.status).toBe(400);
    expect((await state(session)).body).toEqual({ sizeBytes: image.size, receivedBytes: 0 });
  });

  it('receives the card over a dropped connection, fills what was not sent with zeros and stores a captured version', async () => {
    const progress: ImageProgressEvent[] = [];
    const socket = io(t.management, { auth: { token: admin }, transports: ['websocket'] });
    socket.on(SOCKET_EVENTS.imageProgress, (event: ImageProgressEvent) => progress.push(event));
    await new Promise<void>((resolve) => socket.on('connect', () => resolve()));
    try {
      // The unit restarted: its running session comes back with a new token, still at 0 bytes.
      const session = (await open()).body as CaptureSessionDto;
      expect(session).toMatchObject({ product: 'KXP2', version: '2.0', sizeBytes: image.size, receivedBytes: 0 });
      const used = zerosFrom(image);
      expect(used).toBeLessThan(image.size - (1 << 20));
      const data = slice(image.path, 0, used);

      await sendAndCut(session, 0, data, 3 << 20);
      // Once the server has seen the cut, it keeps what arrived and says where to go on from.
      const behind = await waitFor('the refusal of an offset the server is past', async () => {
        const answer = await send(session, 0, Buffer.alloc(4096));
        const text = await answer.text();
        return answer.status === 409 && text.includes('holds') ? text : undefined;
      });
      const held = Number(/holds (\d+) bytes/.exec(behind)?.[1]);
      expect(held).toBeGreaterThan(0);
      expect(held).toBeLessThanOrEqual(3 << 20);
      expect((await state(session)).body).toEqual({ sizeBytes: image.size, receivedBytes: held });
      const resumed = await send(session, held, data.subarray(held));
      expect(resumed.status).toBe(200);
      expect(await resumed.json()).toEqual({ sizeBytes: image.size, receivedBytes: used });

      const finished = await api(t.deployment, `/api/capture/${session.captureId}/finish`, {
        method: 'POST',
        headers: auth(session),
      });
      expect(finished.status).toBe(201);
      expect(finished.body).toMatchObject({
        product: 'KXP2',
        version: '2.0',
        size: image.size,
        sha256: image.sha256,
        active: false,
        capturedFrom: UNIT.serial,
        uploadCompression: 'none',
      });
      const stored = await api(t.deployment, `/images/${finished.body.filename}`);
      expect(stored.status).toBe(200);
      expect(uploadsLeft()).toEqual([]);
      await waitFor('the stored progress event', async () =>
        progress.find((event) => event.stage === 'stored' && event.version === '2.0'),
      );
      expect(progress.some((event) => event.stage === 'receiving' && event.product === 'KXP2')).toBe(true);

      // One capture per mark: the mark is gone, and so is the unit's capture folder.
      expect((await api(t.management, '/api/netboot/captures', { token: viewer })).body).toEqual([]);
      expect((await open()).status).toBe(404);
      await waitFor('the TFTP root without the capture folder', async () => {
        try {
          readFileSync(join(tftpRoot, 'cafe0001', 'cmdline.txt'));
          return undefined;
        } catch {
          return true;
        }
      });
    } finally {
      socket.close();
    }
  }, 180_000);

  it('drops the bytes of a session the unit abandoned for a new one, and of a stream too long for its card', async () => {
    expect((await put(`/api/netboot/units/${UNIT.serial}/capture`, { product: 'KXP2', version: '3.0' })).status).toBe(
      200,
    );
    const first = (await open({ ...UNIT, sizeBytes: 8 << 20 })).body as CaptureSessionDto;
    expect((await send(first, 0, Buffer.alloc(1 << 20, 1))).status).toBe(200);
    expect(uploadsLeft()).toHaveLength(1);
    // Another card size: a new capture, and the old session's bytes go.
    const second = (await open({ ...UNIT, sizeBytes: 4 << 20 })).body as CaptureSessionDto;
    expect(second.receivedBytes).toBe(0);
    expect((await state(first)).status).toBe(404);
    expect(uploadsLeft()).toHaveLength(1);
    // A body that claims no length and runs past the card's end fails the session: nothing stays.
    const tooLong = await fetch(`${t.deployment}/api/capture/${second.captureId}/bytes`, {
      method: 'PUT',
      headers: { ...auth(second), 'content-type': 'application/octet-stream', [CAPTURE_OFFSET_HEADER]: '0' },
      body: new Blob([Buffer.alloc(5 << 20, 2)]).stream(),
      duplex: 'half',
    } as RequestInit);
    expect(tooLong.status).toBe(400);
    expect((await state(second)).status).toBe(404);
    expect(uploadsLeft()).toEqual([]);
    expect(
      (await api(t.management, '/api/images?product=KXP2', { token: viewer })).body.map((i: ImageDto) => i.version),
    ).not.toContain('3.0');
  }, 180_000);
});
