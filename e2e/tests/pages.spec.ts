import { expect, test } from '@playwright/test';
import { savePageScreenshot } from './support/screenshot';
import { apiLogin, signIn } from './support/session';

const PAGES = [
  { path: '/dashboard', heading: 'Dashboard' },
  { path: '/venues', heading: 'Venues' },
  { path: '/batches', heading: 'Batches' },
  { path: '/images', heading: 'Images' },
  { path: '/deployments', heading: 'Deployments' },
  { path: '/statistics', heading: 'Statistics' },
  { path: '/netboot', heading: 'Netboot' },
  { path: '/admin', heading: 'Admin' },
  { path: '/audit', heading: 'Audit' },
];

for (const scheme of ['light', 'dark'] as const) {
  test(`every page renders in the ${scheme} theme, with a screenshot`, async ({ page, request }, testInfo) => {
    await page.emulateMedia({ colorScheme: scheme });
    await signIn(page, await apiLogin(request));
    const failures: string[] = [];
    page.on('pageerror', (error) => failures.push(error.message));
    for (const { path, heading } of PAGES) {
      await page.goto(path);
      await expect(page.getByRole('heading', { level: 1, name: heading })).toBeVisible();
      await page.waitForLoadState('networkidle');
      await savePageScreenshot(page, testInfo, `${scheme}-${path.slice(1)}`);
    }
    expect(failures).toEqual([]);
  });
}

test('the statistics page draws its charts', async ({ page, request }) => {
  await signIn(page, await apiLogin(request));
  await page.goto('/statistics');
  await expect(page.getByRole('img', { name: /Deployments per day/ })).toBeVisible();
  await expect(page.getByRole('img', { name: /Deployments per venue/ })).toBeVisible();
  await expect(page.getByRole('list', { name: 'Key figures' })).toContainText('success rate');
});

test('the admin page keeps answering at its old address, /server', async ({ page, request }) => {
  await signIn(page, await apiLogin(request));
  await page.goto('/server');
  await expect(page).toHaveURL(/\/admin$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Admin' })).toBeVisible();
});

test('on a tablet the navigation opens from the menu button', async ({ page, request }) => {
  await page.setViewportSize({ width: 800, height: 1100 });
  await signIn(page, await apiLogin(request));
  await page.goto('/dashboard');
  await page.getByRole('button', { name: 'Toggle navigation' }).click();
  await page.getByRole('link', { name: 'Images', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Images' })).toBeVisible();
});
