import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { SOCKET_EVENTS, type ImageProgressEvent } from '@rpi-deploy/contracts';
import { uploadMultipart } from '../src/cli/multipart-upload';
import { buildMbrImage } from './support/mbr-image';
import { ADMIN_PASSWORD, bootTestServer, login, type TestServer } from './support/test-server';

function connect(url: string, token?: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = io(url, {
      path: '/socket.io',
      transports: ['websocket'],
      auth: token ? { token } : {},
      reconnection: false,
    });
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error) => {
      socket.close();
      reject(error);
    });
  });
}

describe('live updates (socket.io on the management listener)', () => {
  let t: TestServer;
  let token: string;
  let work: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'live-test-'));
    t = await bootTestServer();
    token = (await login(t.management, 'admin', ADMIN_PASSWORD)).accessToken;
  });
  afterAll(async () => {
    await t?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('refuses a connection without a token, or with a bad one', async () => {
    await expect(connect(t.management)).rejects.toThrow(/unauthorized: connect with auth: \{ token/);
    await expect(connect(t.management, 'not-a-token')).rejects.toThrow(/unauthorized: the access token is invalid/);
  });

  it('offers no socket on the deployment listener', async () => {
    await expect(connect(t.deployment, token)).rejects.toThrow();
  });

  it('tells a logged-in dashboard about an upload as it happens and when it is stored', async () => {
    const socket = await connect(t.management, token);
    const progress: ImageProgressEvent[] = [];
    const changed: unknown[] = [];
    socket.on(SOCKET_EVENTS.imageProgress, (event: ImageProgressEvent) => progress.push(event));
    socket.on(SOCKET_EVENTS.imagesChanged, (event: unknown) => changed.push(event));
    try {
      const image = buildMbrImage(work, 'live.img', 160);
      const response = await uploadMultipart({
        url: `${t.management}/api/images`,
        token,
        fields: { product: 'KXP2', version: 'live-1' },
        filePath: image.path,
      });
      expect(response.status).toBe(201);
      for (let i = 0; i < 50 && changed.length === 0; i += 1) await new Promise((r) => setTimeout(r, 50));

      const stored = progress.find((event) => event.stage === 'stored');
      expect(stored).toMatchObject({ product: 'KXP2', version: 'live-1', uploadedBy: 'admin', imageBytes: image.size });
      expect(stored!.receivedBytes).toBe(image.size);
      expect(stored!.totalBytes).toBeGreaterThan(image.size);
      expect(new Set(progress.map((event) => event.uploadId)).size).toBe(1);
      expect(changed).toEqual([{ id: (response.body as { id: number }).id }]);
    } finally {
      socket.close();
    }
  });

  it('tells dashboards about a refused upload', async () => {
    const socket = await connect(t.management, token);
    const progress: ImageProgressEvent[] = [];
    socket.on(SOCKET_EVENTS.imageProgress, (event: ImageProgressEvent) => progress.push(event));
    try {
      const image = buildMbrImage(work, 'again.img', 96);
      const response = await uploadMultipart({
        url: `${t.management}/api/images`,
        token,
        fields: { product: 'KXP2', version: 'live-1' },
        filePath: image.path,
      });
      expect(response.status).toBe(409);
      for (let i = 0; i < 50 && progress.length === 0; i += 1) await new Promise((r) => setTimeout(r, 50));
      expect(progress.at(-1)).toMatchObject({ stage: 'failed', error: expect.stringMatching(/exists already/) });
    } finally {
      socket.close();
    }
  });
});
