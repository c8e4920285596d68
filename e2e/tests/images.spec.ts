import { expect, test } from '@playwright/test';
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { ImageDto } from '@rpi-deploy/contracts';
import { savePageScreenshot } from './support/screenshot';
import { apiLogin, signIn } from './support/session';
import { tinyDiskImage } from './support/tiny-image';

/** The shared e2e server's data folder (playwright.config.ts), whose SQLite database a test edits. */
const E2E_DATA_DIR = join(__dirname, '../..', `tmp/e2e-data-${process.env['E2E_MGMT_PORT'] ?? 5310}`);

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

test('the upload progress bar moves with the bytes of a real multi-MB upload', async ({ page, request }) => {
  test.setTimeout(90_000);
  await signIn(page, await apiLogin(request));
  await page.goto('/images');
  // The browser's own network throttling (DevTools protocol) slows the request body to about
  // 3 MiB/s, so a 24 MiB upload takes several seconds and the bar has to pass through many values.
  const devtools = await page.context().newCDPSession(page);
  await devtools.send('Network.enable');
  await devtools.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 0,
    downloadThroughput: -1,
    uploadThroughput: 3 * 1024 * 1024,
  });
  const version = `3.0.${Date.now()}`;
  await page.getByRole('combobox', { name: 'Product' }).click();
  await page.getByRole('option', { name: /^KXP2/ }).click();
  await page.getByLabel('Version').fill(version);
  await page.getByLabel('Image file').setInputFiles({
    name: `kxp2-${version}.img`,
    mimeType: 'application/octet-stream',
    buffer: tinyDiskImage(24),
  });
  await page.getByRole('button', { name: 'Upload', exact: true }).click();

  const bar = page.getByRole('progressbar', { name: 'Upload progress' });
  await expect(bar).toBeVisible();
  const seen: number[] = [];
  const statusLines = new Set<string>();
  const uploaded = page.getByText(`Uploaded KXP2 ${version}. Activate it to deploy it.`);
  while (!(await uploaded.isVisible())) {
    const value = await bar.getAttribute('aria-valuenow', { timeout: 1000 }).catch(() => null);
    if (value !== null && (seen.length === 0 || seen.at(-1) !== Number(value))) seen.push(Number(value));
    const status = await page
      .locator('.upload-progress [role="status"]')
      .textContent({ timeout: 1000 })
      .catch(() => null);
    if (status) statusLines.add(status.trim());
    await page.waitForTimeout(150);
  }
  // Values strictly between the ends, in order: the bar followed the bytes, it did not jump.
  const between = seen.filter((value) => value > 0 && value < 100);
  expect(between.length, `values seen: ${seen.join(', ')}`).toBeGreaterThanOrEqual(4);
  expect([...between].sort((a, b) => a - b)).toEqual(between);
  // The line under the bar said how much, how fast and how long, while it was sending.
  expect(
    [...statusLines].some((line) => /^\d+ % · [\d.]+ [KM]iB of 24\.0 MiB · [\d.]+ MB\/s · .+ left$/.test(line)),
  ).toBe(true);
  await devtools.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 0,
    downloadThroughput: -1,
    uploadThroughput: -1,
  });
});

test('converts a version stored before the chunk store from its row, then shows its chunk figures', async ({
  page,
  request,
}) => {
  test.setTimeout(60_000);
  const session = await apiLogin(request);
  const version = `0.9.${Date.now()}`;
  const uploaded = await request.post('/api/images', {
    headers: { authorization: `Bearer ${session.accessToken}` },
    multipart: {
      product: 'KXP2',
      version,
      file: { name: 'old.img', mimeType: 'application/octet-stream', buffer: tinyDiskImage(8) },
    },
  });
  expect(uploaded.status(), await uploaded.text()).toBe(201);
  const { id } = (await uploaded.json()) as ImageDto;
  // As a server from before the chunk store left it: its file and block map, no chunks recorded.
  const database = new Database(join(E2E_DATA_DIR, 'rpi-deploy.sqlite'));
  database.prepare('DELETE FROM image_chunks WHERE image_id = ?').run(id);
  database.prepare('UPDATE images SET chunk_count = NULL WHERE id = ?').run(id);
  database.close();

  await signIn(page, session);
  await page.goto('/images');
  const row = page
    .getByRole('table', { name: 'KXP2 images' })
    .getByRole('row', { name: new RegExp(version.replace(/\./g, '\\.')) });
  await expect(row).toContainText('not chunked');
  await row.getByRole('button', { name: `Convert KXP2 ${version} into chunks` }).click();
  await expect(row).toContainText(/ mapped, [\d.]+ (B|KiB|MiB) stored \([\d.]+×\)/);
  await expect(row).not.toContainText('not chunked');
  await expect(row.getByRole('button', { name: /^Convert/ })).toHaveCount(0);
});
