/**
 * Issue 18 with the real bundle against the real server: a card too small is a permanent
 * failure; the installer (--wait-for-operator permanent) reports it with its code, blinks it on
 * the LED folder and waits. An operator's identify reaches it within a few seconds and the LED
 * folder shows the identify pattern; retry ends it with exit 4; power-off runs its power-off
 * command (here a harmless script) and ends it with exit 5. Every command ends `done`.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DeploymentDto, UnitCommandDto } from '@rpi-deploy/contracts';
import { UNIT_POLL_SECONDS } from '@rpi-deploy/contracts';
import { uploadImage } from '@rpi-deploy/test-kit';
import { ADMIN_PASSWORD, api, bootTestServer, login, type TestServer } from '../../server/test/support/test-server';
import { installerArgs, makeCard, UNIT } from './support/install-fixture';
import { expectExit, runInstaller, type InstallerRun } from './support/run-installer';
import { makeWorkDir } from './support/work-dir';

jest.setTimeout(120_000);

/** The promise: a command reaches a waiting unit within one poll plus the request, well inside this. */
const DELIVERY_LIMIT_MS = (UNIT_POLL_SECONDS + 3) * 1000;

describe('operator commands reach the real installer', () => {
  let t: TestServer;
  let token: string;
  let work: ReturnType<typeof makeWorkDir>;

  const manage = (path: string, method = 'GET', body?: unknown) => api(t.management, path, { method, token, body });

  beforeAll(async () => {
    work = makeWorkDir('operator-commands');
    t = await bootTestServer();
    token = (await login(t.management, 'admin', ADMIN_PASSWORD)).accessToken;
    await manage('/api/venues', 'POST', { code: 'CORO', name: 'Corona' });
    const image = join(work.path, 'one-mib.img');
    writeFileSync(image, randomBytes(1 << 20));
    await uploadImage(t.management, token, { filePath: image, product: 'RXP2', version: '1.0.0', activate: true });
  });

  afterAll(async () => {
    await t?.close();
    work?.remove();
  });

  /** Starts the installer on a 64 KiB card (too small) and waits until the server sees it failed and waiting. */
  async function failingUnit(name: string) {
    const leds = join(work.path, `${name}-leds`);
    for (const led of ['ACT', 'PWR']) mkdirSync(join(leds, led), { recursive: true });
    const marker = join(work.path, `${name}-powered-off`);
    const poweroff = join(work.path, `${name}-poweroff.sh`);
    writeFileSync(poweroff, `#!/bin/sh\necho "$@" > '${marker}'\n`);
    chmodSync(poweroff, 0o755);
    const card = makeCard(work.path, `${name}.card`, 64 << 10, 'blank');
    const args = installerArgs({ url: t.deployment }, card, '--product', 'RXP2', '--venue', 'CORO');
    const run = runInstaller([
      ...args,
      '--leds',
      leds,
      '--wait-for-operator',
      'permanent',
      '--poweroff-command',
      `${poweroff} --now`,
    ]);
    let failed: DeploymentDto | undefined;
    for (const started = Date.now(); !failed && Date.now() - started < 30_000; await pause(100)) {
      const page = (await manage('/api/deployments?status=failed')).body as { items: DeploymentDto[] };
      failed = page.items.find((item) => item.serial === UNIT.serial && !seen.has(item.id));
    }
    if (!failed) throw new Error('the installer did not report its failure within 30 s');
    seen.add(failed.id);
    return { run, deployment: failed, leds, marker };
  }
  const seen = new Set<string>();

  /** Queues a command once the unit polls (409 until its first poll), answering when it was accepted. */
  async function send(deploymentId: string, command: string): Promise<{ id: number; at: number }> {
    for (const started = Date.now(); Date.now() - started < 10_000; await pause(100)) {
      const response = await manage(`/api/deployments/${deploymentId}/commands`, 'POST', { command });
      if (response.status === 201) return { id: (response.body as UnitCommandDto).id, at: Date.now() };
      expect(response.status).toBe(409);
    }
    throw new Error(`the unit never waited for commands (${command})`);
  }

  async function until<T>(what: string, read: () => T | Promise<T>, limitMs: number): Promise<T> {
    const started = Date.now();
    for (;;) {
      const value = await read();
      if (value) return value;
      if (Date.now() - started > limitMs) throw new Error(`${what}: not within ${limitMs} ms`);
      await pause(20);
    }
  }

  const commandState = async (deploymentId: string, id: number) =>
    ((await manage(`/api/deployments/${deploymentId}/commands`)).body as UnitCommandDto[]).find((c) => c.id === id)
      ?.state;
  const brightness = (leds: string, led: string) => readFileSync(join(leds, led, 'brightness'), 'utf8');

  it('reports the failure class, blinks its code, is identified within seconds and retries when asked', async () => {
    const { run, deployment, leds } = await failingUnit('identify');
    expect(deployment).toMatchObject({ failureCode: 'card_too_small', failureClass: 'permanent' });
    expect(deployment.error).toContain('card too small');
    // The failure code: red blinks, green stays off.
    const red = await until('a red blink', () => brightness(leds, 'PWR') === '1', 3000);
    expect(red).toBe(true);
    expect(readFileSync(join(leds, 'ACT', 'trigger'), 'utf8')).toBe('none');

    const identify = await send(deployment.id, 'identify');
    // Only the identify pattern lights green and red in turn.
    await until('the identify pattern', () => brightness(leds, 'ACT') === '1', DELIVERY_LIMIT_MS);
    const deliveredMs = Date.now() - identify.at;
    process.stdout.write(`identify reached the installer's LEDs ${deliveredMs} ms after it was queued\n`);
    expect(deliveredMs).toBeLessThan(DELIVERY_LIMIT_MS);
    await until('identify done', async () => (await commandState(deployment.id, identify.id)) === 'done', 10_000);

    const retry = await send(deployment.id, 'retry');
    const finished: InstallerRun = await run;
    expectExit(finished, 4);
    expect(finished.output).toContain('failure class: SD card too small (card_too_small, permanent, 5 red blinks)');
    expect(finished.output).toContain(`operator command ${identify.id}: identify`);
    expect(await commandState(deployment.id, retry.id)).toBe('done');
  });

  it('powers off when asked: the power-off command runs and the command ends done', async () => {
    const { run, deployment, marker } = await failingUnit('poweroff');
    const poweroff = await send(deployment.id, 'poweroff');
    const finished = await run;
    expectExit(finished, 5);
    expect(Date.now() - poweroff.at).toBeLessThan(DELIVERY_LIMIT_MS);
    expect(existsSync(marker) && readFileSync(marker, 'utf8')).toBe('--now\n');
    expect(await commandState(deployment.id, poweroff.id)).toBe('done');
    const audit = (await manage(`/api/audit?action=deployment.command&target=${deployment.id}`)).body;
    expect(audit.items).toMatchObject([{ actor: 'admin', after: { command: 'poweroff' } }]);
  });
});

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
