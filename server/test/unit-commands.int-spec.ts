/**
 * Issue 18: a failed unit says why (failure code and class on the deployment), and an operator's
 * identify / retry / power-off reaches it while it waits: queued, delivered in the answer to its
 * poll, acknowledged; audited; refused (and nothing stored) when the input is bad or the unit is
 * not waiting. On SQLite and PostgreSQL.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfigResponse, UnitCommandDto } from '@rpi-deploy/contracts';
import { uploadMultipart } from '../src/cli/multipart-upload';
import { cli } from './support/run-cli';
import { ADMIN_PASSWORD, api, bootTestServer, login, type TestServer } from './support/test-server';
import { testDatabases } from './support/test-databases';

const unit = (n: number) => ({
  serial: `30000000${n.toString(16).padStart(8, '0')}`,
  mac: `2c:cf:67:10:00:${n.toString(16).padStart(2, '0')}`,
});

describe.each(testDatabases())('unit failures and operator commands on $name', (database) => {
  let t: TestServer;
  let token: string;
  let viewerToken: string;
  let work: string;

  const manage = (path: string, method = 'GET', body?: unknown, as = token) =>
    api(t.management, path, { method, token: as, body });
  const start = async (n: number) =>
    (await api(t.deployment, '/api/config', { method: 'POST', body: { ...unit(n), product: 'KXP2', venue: 'CORO' } }))
      .body as ConfigResponse;
  const report = (d: ConfigResponse, body: object) =>
    api(t.deployment, '/api/status', {
      method: 'POST',
      body: { deploymentId: d.deploymentId, ...body },
      headers: { authorization: `Bearer ${d.statusToken}` },
    });
  const poll = (d: ConfigResponse, done?: number[], bearer = d.statusToken) =>
    api(t.deployment, '/api/commands', {
      method: 'POST',
      body: { deploymentId: d.deploymentId, ...(done ? { done } : {}) },
      headers: { authorization: `Bearer ${bearer}` },
    });
  const command = (d: ConfigResponse, name: unknown, as = token) =>
    manage(`/api/deployments/${d.deploymentId}/commands`, 'POST', { command: name }, as);
  const commands = async (d: ConfigResponse) =>
    (await manage(`/api/deployments/${d.deploymentId}/commands`)).body as UnitCommandDto[];
  const failedUnit = async (n: number, failureCode = 'card_too_small') => {
    const d = await start(n);
    expect((await report(d, { status: 'failed', error: 'card too small', failureCode })).status).toBe(200);
    return d;
  };

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'unit-commands-test-'));
    t = await bootTestServer({ DATABASE_URL: await database.create() });
    token = (await login(t.management, 'admin', ADMIN_PASSWORD)).accessToken;
    await manage('/api/venues', 'POST', { code: 'CORO', name: 'Corona' });
    await manage('/api/venues/CORO/karts', 'POST', { from: 1, to: 20 });
    await manage('/api/users', 'POST', { username: 'watcher', password: 'quiet-harbour-lantern-42', role: 'viewer' });
    viewerToken = (await login(t.management, 'watcher', 'quiet-harbour-lantern-42')).accessToken;
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

  it('stores the failure code the installer sent and shows its class; refuses an unknown code', async () => {
    const d = await start(1);
    const bad = await report(d, { status: 'failed', error: 'x', failureCode: 'gremlins' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('failureCode must be one of network, server_busy');
    expect((await manage(`/api/deployments/${d.deploymentId}`)).body).toMatchObject({
      status: 'starting',
      failureCode: null,
      failureClass: null,
    });
    expect((await report(d, { status: 'failed', error: 'download failed', failureCode: 'network' })).status).toBe(200);
    expect((await manage(`/api/deployments/${d.deploymentId}`)).body).toMatchObject({
      status: 'failed',
      failureCode: 'network',
      failureClass: 'transient',
    });
    const permanent = await failedUnit(2, 'card_faulty');
    const listed = (await manage('/api/deployments?status=failed')).body.items.find(
      (item: { id: string }) => item.id === permanent.deploymentId,
    );
    expect(listed).toMatchObject({ failureCode: 'card_faulty', failureClass: 'permanent' });
  });

  it('queues identify for a waiting unit, delivers it in the poll answer and records the acknowledgement', async () => {
    const d = await failedUnit(3);
    expect((await poll(d)).body).toEqual({ commands: [] });

    const queued = await command(d, 'identify');
    expect(queued.status).toBe(201);
    expect(queued.body).toMatchObject({
      deploymentId: d.deploymentId,
      command: 'identify',
      state: 'queued',
      requestedBy: 'admin',
      deliveredAt: null,
    });
    const id = (queued.body as UnitCommandDto).id;

    expect((await poll(d)).body).toEqual({ commands: [{ id, command: 'identify' }] });
    expect((await commands(d))[0]).toMatchObject({ id, state: 'delivered', deliveredAt: expect.any(String) });
    // Delivered once: the next poll hands out nothing new.
    expect((await poll(d, [id])).body).toEqual({ commands: [] });
    expect((await commands(d))[0]).toMatchObject({ id, state: 'done', doneAt: expect.any(String) });

    const audit = (await manage(`/api/audit?action=deployment.command&target=${d.deploymentId}`)).body;
    expect(audit.items).toHaveLength(1);
    expect(audit.items[0]).toMatchObject({
      actor: 'admin',
      action: 'deployment.command',
      targetType: 'deployment',
      targetId: d.deploymentId,
      after: expect.objectContaining({ command: 'identify', state: 'queued' }),
    });
  });

  it('refuses commands for units that are not waiting (409), bad input (400), viewers (403), unknown deployments (404), and stores nothing', async () => {
    const running = await start(4);
    const notWaiting = await command(running, 'retry');
    expect(notWaiting.status).toBe(409);
    expect(notWaiting.body.message).toContain('is not waiting for an operator');

    const failedButSilent = await failedUnit(5);
    expect((await command(failedButSilent, 'poweroff')).status).toBe(409);

    const waiting = await failedUnit(6);
    await poll(waiting);
    const badCommand = await command(waiting, 'selfdestruct');
    expect(badCommand.status).toBe(400);
    expect(JSON.stringify(badCommand.body)).toContain('command must be one of identify, retry, poweroff');
    expect((await command(waiting, 'retry', viewerToken)).status).toBe(403);
    const unknown = await manage('/api/deployments/3f1d0c1e-8a0b-4d5e-9f00-000000000000/commands', 'POST', {
      command: 'retry',
    });
    expect(unknown.status).toBe(404);
    expect((await manage('/api/deployments/not-a-uuid/commands', 'POST', { command: 'retry' })).status).toBe(400);

    for (const d of [running, failedButSilent, waiting]) expect(await commands(d)).toEqual([]);
    const audit = (await manage(`/api/audit?action=deployment.command&target=${waiting.deploymentId}`)).body;
    expect(audit.items).toEqual([]);
  });

  it('answers a poll only with the deployment’s own token, and only once it has failed', async () => {
    const running = await start(7);
    const early = await poll(running);
    expect(early.status).toBe(409);
    expect(early.body.message).toContain('only a failed unit waits for commands');
    const failed = await failedUnit(8);
    expect((await poll(failed, undefined, running.statusToken)).status).toBe(403);
    expect(
      (await api(t.deployment, '/api/commands', { method: 'POST', body: { deploymentId: failed.deploymentId } }))
        .status,
    ).toBe(401);
    expect((await poll(failed, [-1])).status).toBe(400);
    // The poll route is the deployment listener's only: the management listener does not know it.
    expect((await api(t.management, '/api/commands', { method: 'POST', body: {} })).status).toBe(404);
  });

  it('rpi-deploy unit identify SERIAL reaches the waiting unit and waits for its acknowledgement; refusals exit 1', async () => {
    const env = { RPI_DEPLOY_URL: t.management, RPI_DEPLOY_PASSWORD: ADMIN_PASSWORD };
    const d = await failedUnit(9);
    await poll(d);
    // The unit: polls every 200 ms and acknowledges what it received.
    let stop = false;
    const unitLoop = (async () => {
      let done: number[] = [];
      while (!stop) {
        const answer = (await poll(d, done.length > 0 ? done : undefined)).body as { commands: Array<{ id: number }> };
        done = answer.commands.map((c) => c.id);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    })();
    const run = await cli(['--user', 'admin', 'unit', 'identify', unit(9).serial], env);
    stop = true;
    await unitLoop;
    expect(run).toMatchObject({ code: 0, stdout: `identify for deployment ${d.deploymentId}: done\n` });
    expect((await commands(d))[0]).toMatchObject({ command: 'identify', state: 'done' });

    const running = await start(10);
    const refused = await cli(['--user', 'admin', 'unit', 'retry', running.deploymentId], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('is not waiting for an operator');
    const unknown = await cli(['--user', 'admin', 'unit', 'poweroff', 'ffffffffffffffff'], env);
    expect(unknown).toMatchObject({ code: 1 });
    expect(unknown.stderr).toContain('no failed deployment of a unit with serial or hostname ffffffffffffffff');
    expect(await commands(running)).toEqual([]);
  });
});
