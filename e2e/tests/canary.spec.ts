import { expect, test } from '@playwright/test';
import type { ImageDto } from '@rpi-deploy/contracts';
import { SimulatedUnit, prepareVenueWithImage, uniqueMac, uniqueSerial } from './support/fleet';
import { apiLogin, bearer, signIn } from './support/session';
import { tinyDiskImage } from './support/tiny-image';

const VENUE = `C${String(Date.now() % 1000).padStart(3, '0')}`;

test('starts a canary on the Images page, sees its units install and boot, promotes it', async ({ page, request }) => {
  test.setTimeout(60_000);
  const admin = await apiLogin(request);
  const headers = bearer(admin);
  const current = await prepareVenueWithImage(request, admin, VENUE);
  const version = `canary-${Date.now()}`;
  const upload = await request.post('/api/images', {
    headers,
    multipart: {
      product: 'KXP2',
      version,
      file: { name: 'canary.img', mimeType: 'application/octet-stream', buffer: tinyDiskImage() },
    },
  });
  expect(upload.status(), await upload.text()).toBe(201);
  const candidate = (await upload.json()) as ImageDto;

  await signIn(page, admin);
  await page.goto('/images');
  const form = page.getByRole('form', { name: 'Start a KXP2 canary' });
  await form.getByRole('combobox', { name: 'Canary release' }).click();
  await page.getByRole('option', { name: version }).click();
  await form.getByLabel('Next units').fill('1');
  await form.getByRole('button', { name: 'Start canary' }).click();
  await expect(page.getByText(`KXP2 ${version} goes to the next 1 units`)).toBeVisible();
  const panel = page.getByRole('region', { name: 'KXP2 canary' });
  await expect(panel).toContainText(`Canary: ${version}`);

  // The first unit gets the canary and installs and boots it; the next one gets the active version.
  const first = new SimulatedUnit(request, uniqueSerial(201), uniqueMac(201));
  expect((await first.askForConfig({ product: 'KXP2', venue: VENUE })).image.version).toBe(version);
  const second = new SimulatedUnit(request, uniqueSerial(202), uniqueMac(202));
  expect((await second.askForConfig({ product: 'KXP2', venue: VENUE })).image.version).toBe(current.version);
  for (const status of ['starting', 'downloading', 'verifying', 'customizing', 'success'] as const) {
    await first.report({ status });
  }
  await first.report({ status: 'booted' } as never);
  await expect(panel.locator('[data-outcome="units"]')).toHaveText('1', { timeout: 10_000 });
  await expect(panel.locator('[data-outcome="installed"]')).toHaveText('1');
  await expect(panel.locator('[data-outcome="booted"]')).toHaveText('1');
  await expect(panel.locator('[data-outcome="failed"]')).toHaveText('0');

  await panel.getByRole('button', { name: 'Promote to everyone' }).click();
  await expect(page.getByText(`KXP2 ${version} is now active for everyone`)).toBeVisible();
  await expect(panel).toHaveCount(0);
  const listed = (await (await request.get('/api/images?product=KXP2', { headers })).json()) as ImageDto[];
  expect(listed.find((image) => image.active)?.id).toBe(candidate.id);

  // Leave the shared server's KXP2 as the other spec files expect it: one click back.
  const back = await request.post('/api/images/rollback', { headers, data: { product: 'KXP2' } });
  expect(back.status(), await back.text()).toBe(200);
  expect(((await back.json()) as ImageDto).id).toBe(current.id);
});
