import { expect, test, type Page } from '@playwright/test';
import { E2E_DEPLOY_URL } from '../playwright.config';
import { SimulatedUnit, prepareVenueWithImage, uniqueMac, uniqueSerial } from './support/fleet';
import { apiLogin, signIn, type ApiSession } from './support/session';

/** The dashboard must show what a unit reported within this time. */
const LIVE_WITHIN_MS = 2_000;
const VENUE = `B${String(Date.now() % 1000).padStart(3, '0')}`;

let admin: ApiSession;

test.beforeAll(async ({ request }) => {
  admin = await apiLogin(request);
  await prepareVenueWithImage(request, admin, VENUE);
});

function card(page: Page, hostname: string) {
  return page.getByRole('article', { name: hostname });
}

test('an installed unit waits for its first boot, then shows it booted with what it said, live', async ({
  page,
  request,
}) => {
  await signIn(page, admin);
  await page.goto('/');
  await expect(page.getByRole('status').filter({ hasText: 'Live' })).toBeVisible();

  const unit = new SimulatedUnit(request, uniqueSerial(77), uniqueMac(77));
  const config = await unit.askForConfig({ product: 'KXP2', venue: VENUE });
  for (const status of ['starting', 'downloading', 'verifying', 'customizing', 'success'] as const) {
    await unit.report({ status });
  }
  const unitCard = card(page, config.hostname);
  await expect(unitCard).toContainText('Installed, waiting for first boot', { timeout: LIVE_WITHIN_MS });

  // The product's first boot reports, as the unit's one-shot script does.
  const booted = await request.post(`${E2E_DEPLOY_URL}/api/status`, {
    headers: { Authorization: `Bearer ${config.statusToken}` },
    data: {
      deploymentId: config.deploymentId,
      status: 'booted',
      hostname: config.hostname.toLowerCase(),
      address: '10.9.8.7',
      kernel: '6.6.51+rpt-rpi-2712',
    },
  });
  expect(booted.status(), await booted.text()).toBe(200);
  await expect(unitCard).toContainText('Booted at', { timeout: LIVE_WITHIN_MS });
  await expect(unitCard).toContainText(`as ${config.hostname.toLowerCase()}, at 10.9.8.7, kernel 6.6.51+rpt-rpi-2712`);
  await expect(unitCard).not.toContainText('waiting for first boot');

  await unitCard.getByRole('link', { name: `Details of ${config.hostname}` }).click();
  await expect(page.getByRole('heading', { level: 1, name: config.hostname })).toBeVisible();
  await expect(page.getByRole('list', { name: 'Events, newest first' })).toContainText('Booted');
});
