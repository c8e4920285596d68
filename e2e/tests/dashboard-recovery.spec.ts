import { expect, test } from '@playwright/test';
import { SimulatedUnit, prepareVenueWithImage, uniqueMac, uniqueSerial } from './support/fleet';
import { OwnServer } from './support/own-server';
import { apiLogin, signIn } from './support/session';

const VENUE = 'RSTA';

test('the dashboard recovers by itself after a server restart, without a page reload', async ({ page, playwright }) => {
  test.setTimeout(120_000);
  const server = await OwnServer.create();
  try {
    await server.start();
    const request = await playwright.request.newContext({ baseURL: server.origin });
    const admin = await apiLogin(request);
    await prepareVenueWithImage(request, admin, VENUE);

    await signIn(page, admin, server.origin);
    await page.goto(`${server.origin}/dashboard`);
    const connection = page.getByRole('status').filter({ hasText: /Live|Connecting|Reconnecting/ });
    await expect(connection).toHaveText(/Live/);
    // Set in this very document: still there afterwards means the page never reloaded.
    await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));

    const before = new SimulatedUnit(request, uniqueSerial(1), uniqueMac(1), server.deployUrl);
    const first = await before.askForConfig({ product: 'KXP2', venue: VENUE });
    await expect(page.getByRole('article', { name: first.hostname })).toBeVisible({ timeout: 2_000 });

    await server.stop();
    await expect(connection).toHaveText(/Reconnecting/, { timeout: 10_000 });
    await server.start();
    await expect(connection).toHaveText(/Live/, { timeout: 20_000 });

    // After the restart, new units and reports of earlier ones arrive live again.
    const after = new SimulatedUnit(request, uniqueSerial(2), uniqueMac(2), server.deployUrl);
    const second = await after.askForConfig({ product: 'KXP2', venue: VENUE });
    await expect(page.getByRole('article', { name: second.hostname })).toBeVisible({ timeout: 2_000 });
    await before.report({ status: 'downloading', progress: 42, bytesDone: 42, bytesTotal: 100 });
    await expect(page.getByRole('article', { name: first.hostname })).toContainText('42 %', { timeout: 2_000 });

    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    await request.dispose();
  } finally {
    await server.dispose();
  }
});
