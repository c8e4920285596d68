import { expect, test, type APIRequestContext } from '@playwright/test';
import type { UnitPollAnswer } from '@rpi-deploy/contracts';
import { E2E_DEPLOY_URL } from '../playwright.config';
import { SimulatedUnit, prepareVenueWithImage, uniqueMac, uniqueSerial } from './support/fleet';
import { apiLogin, signIn, type ApiSession } from './support/session';

/** A waiting unit polls every 2 s; the card must show the command done well within this. */
const DONE_WITHIN_MS = 6_000;
const VENUE = `U${String(Date.now() % 1000).padStart(3, '0')}`;

let admin: ApiSession;

test.beforeAll(async ({ request }) => {
  admin = await apiLogin(request);
  await prepareVenueWithImage(request, admin, VENUE);
});

/** What the installer does while it waits: poll, acknowledge what it received on the next poll. */
function waitLikeAUnit(request: APIRequestContext, unit: SimulatedUnit): () => void {
  let stopped = false;
  void (async () => {
    let done: number[] = [];
    while (!stopped) {
      const response = await request.post(`${E2E_DEPLOY_URL}/api/commands`, {
        headers: { Authorization: `Bearer ${unit.config!.statusToken}` },
        data: { deploymentId: unit.config!.deploymentId, done },
      });
      done = response.ok() ? ((await response.json()) as UnitPollAnswer).commands.map((command) => command.id) : [];
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  })();
  return () => (stopped = true);
}

test('a failed unit shows its failure and LED code, and an operator identifies it from its card', async ({
  page,
  request,
}) => {
  test.setTimeout(60_000);
  const unit = new SimulatedUnit(request, uniqueSerial(70), uniqueMac(70));
  const { hostname } = await unit.askForConfig({ product: 'KXP2', venue: VENUE });
  await unit.report({
    status: 'failed',
    error: 'card too small: 7.5 GiB < image 16 GiB',
    failureCode: 'card_too_small',
  });

  await signIn(page, admin);
  await page.goto('/dashboard');
  const card = page.getByRole('article', { name: hostname });
  await expect(card).toContainText('SD card too small · stopped, waits · LED code 5 red blinks');

  // Not waiting yet (the unit has not polled): the server's refusal is shown, nothing is queued.
  await card.getByRole('button', { name: `Actions for ${hostname}` }).click();
  await page.getByRole('menuitem', { name: /Retry/ }).click();
  await expect(card.getByRole('alert')).toContainText('is not waiting for an operator');

  const stop = waitLikeAUnit(request, unit);
  try {
    await expect
      .poll(async () => {
        await card.getByRole('button', { name: `Actions for ${hostname}` }).click();
        await page.getByRole('menuitem', { name: /Identify/ }).click();
        return card.getByRole('status').filter({ hasText: 'Identify' }).count();
      })
      .toBe(1);
    await expect(card.getByRole('status').filter({ hasText: 'Identify' })).toHaveText('Identify: done', {
      timeout: DONE_WITHIN_MS,
    });
  } finally {
    stop();
  }

  await card.getByRole('link', { name: /LED code 5/ }).click();
  await expect(page.getByRole('heading', { name: 'LED codes' })).toBeVisible();
  await expect(page.getByRole('row', { name: /SD card too small/ })).toContainText('5');
});
