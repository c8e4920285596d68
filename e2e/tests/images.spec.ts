import { expect, test } from '@playwright/test';
import { createHash } from 'node:crypto';
import { savePageScreenshot } from './support/screenshot';
import { apiLogin, signIn } from './support/session';
import { tinyDiskImage } from './support/tiny-image';

test('uploads an image with progress, activates it, rolls back and deletes with confirmation', async ({
  page,
  request,
}, testInfo) => {
  test.setTimeout(60_000);
  await signIn(page, await apiLogin(request));
  await page.goto('/images');
  const stamp = Date.now();
  const first = { version: `1.0.${stamp}`, bytes: tinyDiskImage() };
  const second = { version: `1.1.${stamp}`, bytes: tinyDiskImage() };
  const table = page.getByRole('table', { name: 'RXP2 images' });

  // Without a file the form says what is missing and sends nothing.
  await page.getByLabel('Version').fill(first.version);
  await page.getByRole('button', { name: 'Upload', exact: true }).click();
  await expect(page.getByText('Choose the image file to upload.')).toBeVisible();

  for (const image of [first, second]) {
    await page.getByRole('combobox', { name: 'Product' }).click();
    await page.getByRole('option', { name: /^RXP2/ }).click();
    await page.getByLabel('Version').fill(image.version);
    await page.getByLabel('Image file').setInputFiles({
      name: `rxp2-${image.version}.img`,
      mimeType: 'application/octet-stream',
      buffer: image.bytes,
    });
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await expect(page.getByText(`Uploaded RXP2 ${image.version}. Activate it to deploy it.`)).toBeVisible();
    const row = table.getByRole('row', { name: new RegExp(image.version.replace(/\./g, '\\.')) });
    await expect(row).toContainText('4.00 MiB');
    await expect(row.getByLabel(/^SHA-256/)).toHaveAttribute(
      'aria-label',
      `SHA-256 ${createHash('sha256').update(image.bytes).digest('hex')}`,
    );
    await page.getByRole('button', { name: `Activate RXP2 ${image.version}` }).click();
    await expect(row.getByText('active', { exact: true })).toBeVisible();
  }
  await savePageScreenshot(page, testInfo, 'images');

  // Roll back: the first version is active again, the second is not.
  await page.getByRole('button', { name: 'Roll back RXP2' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Roll back' }).click();
  await expect(page.getByText(`RXP2 ${first.version} is active again`)).toBeVisible();
  await expect(page.getByRole('button', { name: `Activate RXP2 ${second.version}` })).toBeVisible();
  await expect(page.getByRole('button', { name: `Activate RXP2 ${first.version}` })).toHaveCount(0);

  // Delete the inactive one; cancelling the confirmation keeps it.
  await page.getByRole('button', { name: `Delete RXP2 ${second.version}` }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByRole('button', { name: `Delete RXP2 ${second.version}` })).toBeVisible();
  await page.getByRole('button', { name: `Delete RXP2 ${second.version}` }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
  await expect(page.getByText(`RXP2 ${second.version} deleted`)).toBeVisible();
  await expect(table.getByRole('row', { name: new RegExp(second.version.replace(/\./g, '\\.')) })).toHaveCount(0);
});
