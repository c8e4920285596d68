import { expect, test } from '@playwright/test';
import type { CaptureMarkDto } from '@rpi-deploy/contracts';
import { uniqueSerial } from './support/fleet';
import { apiLogin, bearer, signIn } from './support/session';

test('an operator marks a unit to capture its card from the netboot page, and cancels it', async ({
  page,
  request,
}) => {
  const session = await apiLogin(request);
  const serial = uniqueSerial(7);
  const serial8 = serial.slice(-8);
  const version = `cap-${Date.now()}`;
  const marks = async () =>
    (await (await request.get('/api/netboot/captures', { headers: bearer(session) })).json()) as CaptureMarkDto[];

  await signIn(page, session);
  await page.goto('/netboot');
  const form = page.getByRole('form', { name: "Capture a unit's card" });
  await form.getByLabel('Serial').fill('not-hex');
  await form.getByLabel('New version').fill(version);
  await form.getByRole('button', { name: "Capture this unit's card" }).click();
  await expect(form.getByText('8-16 hex digits.')).toBeVisible();
  expect((await marks()).some((mark) => mark.version === version)).toBe(false);

  await form.getByLabel('Serial').fill(serial);
  await form.getByRole('button', { name: "Capture this unit's card" }).click();
  const list = page.getByRole('list', { name: 'Units marked for capture' });
  await expect(list.getByRole('listitem').filter({ hasText: serial8 })).toContainText(
    `captures its card as KXP2 ${version}`,
  );
  expect((await marks()).find((mark) => mark.serial === serial8)).toMatchObject({ product: 'KXP2', version });

  await list.getByRole('button', { name: `Cancel capture of ${serial8}` }).click();
  await expect(list.getByRole('listitem').filter({ hasText: serial8 })).toHaveCount(0);
  expect((await marks()).some((mark) => mark.serial === serial8)).toBe(false);
});
