import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import {
  SOCKET_EVENTS,
  type ConfigResponse,
  type DeploymentsUpdatedEvent,
  type ImageProgressEvent,
} from '@rpi-deploy/contracts';
import { uploadMultipart } from '../src/cli/multipart-upload';
import { buildMbrImage } from './support/mbr-image';
import { ADMIN_PASSWORD, api, bootTestServer, login, type TestServer } from './support/test-server';

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
  describe('deployments', () => {
    /** How long the server holds views before sending them (its one throttle). */
    const TICK_MS = 250;
    let deployment: ConfigResponse;
    const status = (body: object) =>
      api(t.deployment, '/api/status', {
        method: 'POST',
        body: { deploymentId: deployment.deploymentId, ...body },
        headers: { authorization: `Bearer ${deployment.statusToken}` },
      });

    beforeAll(async () => {
      const manage = (path: string, body?: unknown) => api(t.management, path, { method: 'POST', token, body });
      await manage('/api/venues', { code: 'CORO', name: 'Corona' });
      await manage('/api/venues/CORO/karts', { from: 1, to: 5 });
      const file = join(work, 'tiny.img');
      writeFileSync(file, randomBytes(256 * 1024));
      const uploaded = await uploadMultipart({
        url: `${t.management}/api/images`,
        token,
        fields: { product: 'KXP2', version: 'live-batch' },
        filePath: file,
      });
      await manage(`/api/images/${(uploaded.body as { id: number }).id}/activate`);
    });

    it('sends the reports of a tick as one deployments.updated batch, a final status at once', async () => {
      const socket = await connect(t.management, token);
      const batches: DeploymentsUpdatedEvent[] = [];
      socket.on(SOCKET_EVENTS.deploymentsUpdated, (batch: DeploymentsUpdatedEvent) => batches.push(batch));
      const mine = (batch: DeploymentsUpdatedEvent) => batch.filter((view) => view.id === deployment.deploymentId);
      try {
        const response = await api(t.deployment, '/api/config', {
          method: 'POST',
          body: { serial: '2000000000000001', mac: '2c:cf:67:00:00:01', product: 'KXP2', venue: 'CORO' },
        });
        deployment = response.body as ConfigResponse;
        // Through the phases to the last one before success (none may be skipped).
        for (const phase of ['downloading', 'verifying']) await status({ status: phase });
        for (let progress = 1; progress <= 10; progress += 1) await status({ status: 'customizing', progress });
        for (let i = 0; i < 100 && !batches.some((b) => mine(b).some((v) => v.progress === 10)); i += 1)
          await new Promise((r) => setTimeout(r, 10));

        const progressBatches = batches.filter((batch) => mine(batch).length > 0);
        // Ten reports sent back to back span a tick or two: each batch holds the unit once, the latest view of it.
        expect(progressBatches.every((batch) => mine(batch).length === 1)).toBe(true);
        expect(progressBatches.length).toBeLessThan(5);
        expect(mine(progressBatches.at(-1)!)[0]).toMatchObject({ status: 'customizing', progress: 10 });

        // A tick has just passed. A progress report now waits for the next one; the final status
        // right after it goes out at once (well before that tick), alone.
        const before = batches.length;
        await status({ status: 'customizing', progress: 50 });
        await status({ status: 'success' });
        const acknowledged = Date.now();
        const isFinal = (batch: DeploymentsUpdatedEvent) => mine(batch).some((view) => view.status === 'success');
        while (!batches.slice(before).some(isFinal)) {
          // The server sends it before it answers the report; held for the tick, it would come up to 250 ms later.
          expect(Date.now() - acknowledged).toBeLessThan(TICK_MS / 5);
          await new Promise((r) => setTimeout(r, 10));
        }
        await new Promise((r) => setTimeout(r, 2 * TICK_MS));
        expect(batches.find(isFinal)).toEqual([expect.objectContaining({ status: 'success', progress: 100 })]);
        // Nothing older follows it: the waiting progress view was dropped (or went out before, had a tick come between).
        const views = batches.slice(before).flatMap(mine);
        expect(views.at(-1)).toMatchObject({ status: 'success' });
        expect(views.slice(0, -1).every((view) => view.progress === 50)).toBe(true);
      } finally {
        socket.close();
      }
    });
  });
});
