import { expect, test, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { savePageScreenshot } from './support/screenshot';
import { E2E_DEPLOY_URL } from '../playwright.config';
import { SimulatedUnit, prepareVenueWithImage, uniqueMac, uniqueSerial } from './support/fleet';
import { apiLogin, signIn, type ApiSession } from './support/session';

/** The dashboard must show what a unit reported within this time. */
const LIVE_WITHIN_MS = 2_000;
const VENUE = `F${String(Date.now() % 1000).padStart(3, '0')}`;
const FAILURE = 'SD card write failed at 1.2 GB: EIO (card removed?)';
const MB = 1_000_000;

test.describe.configure({ mode: 'serial' });

let admin: ApiSession;
const units: SimulatedUnit[] = [];

function card(page: Page, hostname: string) {
  return page.getByRole('article', { name: hostname });
}

test.beforeAll(async ({ request }) => {
  admin = await apiLogin(request);
  await prepareVenueWithImage(request, admin, VENUE);
});

test('a batch is created and started, and the dashboard follows every unit live', async ({
  page,
  request,
}, testInfo) => {
  test.setTimeout(90_000);
  await signIn(page, admin);
  // Other specs on the shared server also finish units today: count from what is there before.
  const counters = page.getByRole('list', { name: 'Today' });
  const today = async (label: string) => {
    const item = counters.getByRole('listitem').filter({ hasText: label });
    await expect(item).toContainText(/\d/);
    return Number(/\d+/.exec((await item.textContent()) ?? '')?.[0]);
  };
  await page.goto('/');
  const [succeededBefore, failedBefore, inProgressBefore] = [
    await today('succeeded today'),
    await today('failed today'),
    await today('in progress'),
  ];

  // Create and start a batch for three units.
  await page.goto('/batches');
  await page.getByRole('combobox', { name: 'Venue' }).click();
  await page.getByRole('option', { name: new RegExp(`^${VENUE}`) }).click();
  await page.getByLabel('Units').fill('3');
  await page.getByLabel('Priority').fill('5');
  await page.getByRole('button', { name: 'Create batch' }).click();
  const batchRow = page.getByRole('row', { name: new RegExp(`${VENUE}.*pending`) });
  await expect(batchRow).toBeVisible();
  await batchRow.getByRole('button', { name: /^Start batch/ }).click();
  await expect(page.getByRole('row', { name: new RegExp(`${VENUE}.*active`) })).toContainText('0 / 3');
  await savePageScreenshot(page, testInfo, 'batches');

  await page.getByRole('link', { name: 'Dashboard', exact: true }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Live' })).toBeVisible();

  // Three units boot and ask for their config: each appears with its hostname.
  for (let index = 0; index < 3; index++) {
    const unit = new SimulatedUnit(request, uniqueSerial(index), uniqueMac(index));
    const config = await unit.askForConfig();
    expect(config.hostname).toBe(`KXP2-${VENUE}-00${index + 1}`);
    units.push(unit);
    const unitCard = card(page, config.hostname);
    await expect(unitCard).toBeVisible({ timeout: LIVE_WITHIN_MS });
    await expect(unitCard).toContainText(unit.serial);
    await expect(unitCard).toContainText(unit.mac);
    await expect(unitCard).toContainText('starting');
  }
  // The batch got its three hostnames: it is complete.
  const batch = page.getByRole('region', { name: 'Active batch' });
  await expect(batch).toContainText('3 / 3');
  await expect(batch).toContainText('(completed)');

  // Progress reports show up live: percentage, bar, speed and time left.
  const total = 400 * MB;
  for (const [index, unit] of units.entries()) {
    const progress = 20 + index * 10;
    await unit.report({
      status: 'downloading',
      progress,
      bytesDone: (total * progress) / 100,
      bytesTotal: total,
      throughput: { download: 50 * MB, write: 40 * MB },
      message: 'writing the image',
    });
    const unitCard = card(page, unit.config!.hostname);
    await expect(unitCard.getByRole('progressbar')).toHaveAttribute('aria-valuenow', String(progress), {
      timeout: LIVE_WITHIN_MS,
    });
    await expect(unitCard).toContainText(`${progress} %`);
    await expect(unitCard).toContainText('40 MB/s');
    await expect(unitCard).toContainText('ETA');
    await expect(unitCard).toContainText('writing the image');
  }
  await expect.poll(() => today('in progress'), { timeout: LIVE_WITHIN_MS }).toBe(inProgressBefore + 3);
  await savePageScreenshot(page, testInfo, 'dashboard-in-progress');

  // Two finish, one fails: final states, and the failure stands out with its error.
  for (const unit of units.slice(0, 2)) {
    await unit.report({
      status: 'downloading',
      progress: 60,
      bytesDone: 240 * MB,
      bytesTotal: total,
      message: 'writing the image',
    });
    await expect(card(page, unit.config!.hostname)).toContainText('60 %', { timeout: LIVE_WITHIN_MS });
    await unit.report({
      status: 'verifying',
      progress: 80,
      bytesDone: 100 * MB,
      bytesTotal: total,
      throughput: { verify: 90 * MB },
    });
    await expect(card(page, unit.config!.hostname)).toContainText('verifying', { timeout: LIVE_WITHIN_MS });
    await unit.report({ status: 'customizing', progress: 95, message: 'setting the hostname' });
    await unit.report({ status: 'success', progress: 100, message: 'rebooting into the new system' });
  }
  await units[2].report({ status: 'failed', error: FAILURE });

  for (const unit of units.slice(0, 2)) {
    const unitCard = card(page, unit.config!.hostname);
    await expect(unitCard).toContainText('success', { timeout: LIVE_WITHIN_MS });
    await expect(unitCard).toContainText('100 %');
  }
  const failedCard = card(page, units[2].config!.hostname);
  await expect(failedCard).toContainText(`Error: ${FAILURE}`, { timeout: LIVE_WITHIN_MS });
  await expect(failedCard).toContainText('failed');
  await expect.poll(() => today('in progress')).toBe(inProgressBefore);
  await expect.poll(() => today('succeeded today')).toBe(succeededBefore + 2);
  await expect.poll(() => today('failed today')).toBe(failedBefore + 1);
  await savePageScreenshot(page, testInfo, 'dashboard');

  // A reload shows the same final states from the API.
  await page.reload();
  await expect(card(page, units[2].config!.hostname)).toContainText(`Error: ${FAILURE}`);
  await expect(card(page, units[0].config!.hostname)).toContainText('success');
});

test('the history filters, exports CSV, and shows a deployment with its timeline', async ({ page }, testInfo) => {
  expect(units).toHaveLength(3);
  const [succeeded, , failed] = units.map((unit) => unit.config!.hostname);
  await signIn(page, admin);
  await page.goto('/deployments');
  const history = page.getByRole('table', { name: 'Deployment history' });
  await expect(history.getByRole('link', { name: failed })).toBeVisible();

  // Only the failed unit of this venue.
  await page.getByLabel('Venue').fill(VENUE.toLowerCase());
  await page.getByRole('combobox', { name: 'Status' }).click();
  await page.getByRole('option', { name: 'failed' }).click();
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(history.getByRole('link', { name: failed })).toBeVisible();
  await expect(history.getByRole('link', { name: succeeded })).toHaveCount(0);
  await expect(history).toContainText(FAILURE);
  await savePageScreenshot(page, testInfo, 'deployments');

  // The CSV holds what the filter shows.
  const downloadPromise = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export CSV' }).click();
  const download = await downloadPromise;
  expect(download.suggestedFilename()).toBe('deployments.csv');
  const csv = readFileSync(await download.path(), 'utf8');
  expect(csv).toContain(failed);
  expect(csv).not.toContain(succeeded);

  // Sorting by hostname on the unfiltered venue.
  await page.getByRole('combobox', { name: 'Status' }).click();
  await page.getByRole('option', { name: 'Any' }).click();
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(history.getByRole('row')).toHaveCount(4);
  await page.getByRole('button', { name: 'Hostname' }).click();
  await expect(history.getByRole('row').nth(1)).toContainText(succeeded);
  await page.getByRole('button', { name: 'Hostname' }).click();
  await expect(history.getByRole('row').nth(1)).toContainText(failed);

  // The deployment page: its error and its timeline.
  await history.getByRole('link', { name: failed }).click();
  await expect(page.getByRole('heading', { level: 1, name: failed })).toBeVisible();
  await expect(page.getByRole('alert')).toContainText(FAILURE);
  const timeline = page.getByRole('list', { name: 'Events, newest first' });
  await expect(timeline.getByRole('listitem')).toHaveCount(3);
  await expect(timeline.getByRole('listitem').first()).toContainText('failed');
  await savePageScreenshot(page, testInfo, 'deployment-failed');

  await page.goto('/deployments');
  await history.getByRole('link', { name: succeeded }).click();
  await expect(page.getByRole('heading', { level: 1, name: succeeded })).toBeVisible();
  await expect(page.getByRole('img', { name: `Throughput of ${succeeded} in MB/s over time` })).toBeVisible();
  await savePageScreenshot(page, testInfo, 'deployment');
});

test('a device asking for a running unit’s configuration is refused, and the dashboard warns live', async ({
  page,
  request,
}, testInfo) => {
  await signIn(page, admin);
  const unit = new SimulatedUnit(request, uniqueSerial(40), uniqueMac(40));
  const { hostname } = await unit.askForConfig({ product: 'KXP2', venue: VENUE });
  await unit.report({ status: 'downloading', progress: 30, message: 'writing the image' });
  await page.goto('/');
  const unitCard = card(page, hostname);
  // A fresh page load, which a busy machine may take seconds over.
  await expect(unitCard).toContainText('downloading', { timeout: 15_000 });
  await expect(unitCard.getByRole('status')).toHaveCount(0);

  // Same serial, another MAC: refused, the card warns at once and the unit goes on untouched.
  const impostorMac = '02:00:5e:00:00:42';
  const refused = await request.post(`${E2E_DEPLOY_URL}/api/config`, {
    data: { serial: unit.serial, mac: impostorMac, product: 'KXP2', venue: VENUE },
  });
  expect(refused.status(), await refused.text()).toBe(409);
  const warning = new RegExp(
    `another device \\(MAC ${impostorMac}, IP [0-9a-f.:]+\\) asked for this unit's configuration at \\d\\d:\\d\\d:\\d\\d and was refused`,
  );
  await expect(unitCard.getByRole('status')).toContainText(warning, { timeout: LIVE_WITHIN_MS });
  await expect(unitCard).toContainText('downloading');
  await expect(unitCard).toContainText(unit.mac);
  await expect(unitCard).toContainText('30 %');
  await savePageScreenshot(page, testInfo, 'dashboard-impersonation');

  await unitCard.getByRole('link', { name: `Details of ${hostname}` }).click();
  await expect(page.getByRole('heading', { level: 1, name: hostname })).toBeVisible({ timeout: 15_000 });
  await expect(page.getByRole('status').filter({ hasText: warning })).toBeVisible();
  const timeline = page.getByRole('list', { name: 'Events, newest first' });
  await expect(timeline.getByRole('listitem').first()).toContainText('Impersonation refused');
  await expect(timeline.getByRole('listitem').first()).toContainText(impostorMac);

  await unit.report({ status: 'failed', error: 'test over' });
});
